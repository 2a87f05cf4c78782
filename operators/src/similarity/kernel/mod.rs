//! The dot-product kernel: one query vector against a run of row vectors, int8 × int8 accumulated
//! in i32, on the best instruction set the machine has (chosen at run time).
//!
//! - `portable`: plain Rust over `i8` pairs widened to `i32`; the compiler vectorises it for the
//!   build's baseline (SSE2 on x86-64).
//! - `avx2` (x86-64): the same code compiled with AVX2 enabled. It widens to 16 bits and uses
//!   `vpmaddwd` (i16 × i16 → i32, exact), never `vpmaddubsw`, whose 16-bit sums saturate.
//! - `avx512-vnni` (x86-64): `vpdpbusd` with explicit intrinsics (see [`x86`]).
//!
//! All are exact integer arithmetic, so every path returns bit-identical dot products; the tests
//! hold each available path equal to a scalar i64 reference on random and adversarial vectors.

use super::vector::Vector;

#[cfg(target_arch = "x86_64")]
mod x86;

/// The instruction set a kernel uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Path {
    Portable,
    #[cfg(target_arch = "x86_64")]
    Avx2,
    #[cfg(target_arch = "x86_64")]
    Avx512Vnni,
}

/// A dot-product kernel that this machine can run (only [`Kernel::detect`], [`Kernel::portable`]
/// and [`Kernel::available`] make one, so an unsupported instruction set is never called).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Kernel(Path);

impl Kernel {
    /// The fastest kernel this machine supports.
    pub fn detect() -> Kernel {
        *Kernel::available().last().expect("the portable kernel is always available")
    }

    /// The plain-Rust kernel, available everywhere.
    pub fn portable() -> Kernel {
        Kernel(Path::Portable)
    }

    /// Every kernel this machine supports, slowest first.
    pub fn available() -> Vec<Kernel> {
        let mut kernels = vec![Kernel::portable()];
        #[cfg(target_arch = "x86_64")]
        {
            if std::is_x86_feature_detected!("avx2") {
                kernels.push(Kernel(Path::Avx2));
            }
            if x86::has_avx512_vnni() {
                kernels.push(Kernel(Path::Avx512Vnni));
            }
        }
        kernels
    }

    /// The kernel's name: `portable`, `avx2` or `avx512-vnni`.
    pub fn name(self) -> &'static str {
        match self.0 {
            Path::Portable => "portable",
            #[cfg(target_arch = "x86_64")]
            Path::Avx2 => "avx2",
            #[cfg(target_arch = "x86_64")]
            Path::Avx512Vnni => "avx512-vnni",
        }
    }

    /// `out[i] = query · rows[i]` for every row; `out` is as long as `rows`.
    pub fn dots(self, query: &Vector, rows: &[Vector], out: &mut [i32]) {
        assert_eq!(rows.len(), out.len(), "one output per row");
        match self.0 {
            Path::Portable => portable_dots(query, rows, out),
            // SAFETY: a `Kernel` with this path exists only where `available` detected AVX2.
            #[cfg(target_arch = "x86_64")]
            Path::Avx2 => unsafe { x86::avx2_dots(query, rows, out) },
            // SAFETY: a `Kernel` with this path exists only where `available` detected the features.
            #[cfg(target_arch = "x86_64")]
            Path::Avx512Vnni => unsafe { x86::vnni_dots(query, rows, out) },
        }
    }
}

/// The portable kernel; inlined into the AVX2 wrapper so that it is compiled a second time there.
#[inline(always)]
fn portable_dots(query: &Vector, rows: &[Vector], out: &mut [i32]) {
    for (row, dot) in rows.iter().zip(out.iter_mut()) {
        *dot = query.dot(row);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::VECTOR_DIMS;
    use proptest::prelude::*;

    fn reference(query: &Vector, row: &Vector) -> i32 {
        let dot: i64 = query.0.iter().zip(row.0.iter()).map(|(&x, &y)| i64::from(x) * i64::from(y)).sum();
        i32::try_from(dot).unwrap()
    }

    fn check_every_kernel(query: &Vector, rows: &[Vector]) -> Result<(), TestCaseError> {
        let expected: Vec<i32> = rows.iter().map(|row| reference(query, row)).collect();
        for kernel in Kernel::available() {
            let mut out = vec![0; rows.len()];
            kernel.dots(query, rows, &mut out);
            prop_assert_eq!(&out, &expected, "kernel {}", kernel.name());
        }
        Ok(())
    }

    fn filled(value: i8) -> Vector {
        Vector([value; VECTOR_DIMS])
    }

    fn alternating(even: i8, odd: i8) -> Vector {
        Vector(std::array::from_fn(|i| if i % 2 == 0 { even } else { odd }))
    }

    fn vector() -> impl Strategy<Value = Vector> {
        prop::collection::vec(any::<i8>(), VECTOR_DIMS).prop_map(|v| Vector::from_slice(&v).unwrap())
    }

    proptest! {
        #[test]
        fn kernels_agree_on_random_vectors(query in vector(), rows in prop::collection::vec(vector(), 0..40)) {
            check_every_kernel(&query, &rows)?;
        }
    }

    #[test]
    fn kernels_agree_on_adversarial_vectors() {
        let extremes = [
            filled(-128),
            filled(127),
            filled(0),
            filled(-1),
            alternating(-128, 127),
            alternating(127, -128),
            alternating(-128, -128),
            Vector(std::array::from_fn(|i| if i < 64 { -128 } else { 127 })),
        ];
        // Every extreme as the query, against every extreme repeated past two 16-row blocks.
        let rows: Vec<Vector> = extremes.iter().cycle().take(37).copied().collect();
        for query in &extremes {
            check_every_kernel(query, &rows).unwrap();
        }
        let mut out = [0; 1];
        for kernel in Kernel::available() {
            kernel.dots(&filled(-128), &[filled(-128)], &mut out);
            assert_eq!(out[0], 128 * 128 * 128, "{}", kernel.name());
            kernel.dots(&filled(-128), &[filled(127)], &mut out);
            assert_eq!(out[0], -128 * 127 * 128, "{}", kernel.name());
        }
    }

    #[test]
    fn detection_finds_the_vector_paths_of_this_machine() {
        let names: Vec<&str> = Kernel::available().iter().map(|k| k.name()).collect();
        assert_eq!(names[0], "portable");
        #[cfg(target_arch = "x86_64")]
        {
            assert_eq!(names.contains(&"avx2"), std::is_x86_feature_detected!("avx2"));
            assert_eq!(names.contains(&"avx512-vnni"), x86::has_avx512_vnni());
        }
        assert_eq!(Kernel::detect().name(), *names.last().unwrap());
    }
}
