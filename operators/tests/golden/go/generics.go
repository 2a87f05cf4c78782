// Origin: PyPI Pygments==2.18.0 sdist, tests/examplefiles/go/generics.go (BSD-2-Clause). Copied verbatim below this line for cpt's golden tests.
package generics

type Int interface {
	~int | ~int8 | ~int16 | ~int32 | ~int64
}

func Abs[T Int](v T) T {
	if v < 0 {
		return -v
	} else {
		return v
	}
}

func Equal[T comparable](a, b T) bool {
	return a == b
}

func PtrOf[T any](v T) *T {
	return &v
}
