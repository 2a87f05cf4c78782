//! Which language a `.h` header is written in: C and C++ share the extension, so the text decides.
//!
//! A header is C++ when a line uses a construct that C lacks, and C otherwise, much as GitHub's
//! linguist tells them apart. The C++ signs are read at the start of a line (after indentation),
//! where string literals rarely put them: `template <`, `namespace`, `using namespace`, `class
//! Name`, an access specifier (`public:`), an `#include` of a standard header without an extension
//! (`<vector>`, `<cstdint>`); and `std::` anywhere in a line. Lines of comments are passed over. A header with
//! Objective-C in it (`@interface`, `#import`, …) stays C, the language its name gives: neither
//! grammar reads Objective-C, and C is the one it extends.
//!
//! Parsing a C++ header with the C grammar gives error nodes instead of its classes and templates,
//! and costs far more, since tree-sitter's error recovery is the slowest part of a parse.

/// True when `text`, a `.h` header, is C++ (see the module doc).
pub fn is_cpp_header(text: &[u8]) -> bool {
    let mut cpp = false;
    for line in text.split(|&b| b == b'\n') {
        let line = trim_start(line);
        if is_comment(line) {
            continue;
        }
        if is_objective_c(line) {
            return false;
        }
        cpp = cpp || is_cpp_line(line);
    }
    cpp
}

/// The line without its indentation.
fn trim_start(line: &[u8]) -> &[u8] {
    let start = line.iter().position(|&b| b != b' ' && b != b'\t').unwrap_or(line.len());
    &line[start..]
}

/// True for a line (without indentation) that starts or goes on with a comment: its words are prose.
fn is_comment(line: &[u8]) -> bool {
    line.starts_with(b"//") || line.starts_with(b"/*") || line.starts_with(b"*")
}

/// True for a line (without indentation) that only Objective-C writes.
fn is_objective_c(line: &[u8]) -> bool {
    const DIRECTIVES: [&[u8]; 6] = [b"@interface", b"@implementation", b"@protocol", b"@class", b"@end", b"#import"];
    DIRECTIVES.iter().any(|directive| starts_with_word(line, directive))
}

/// True for a line (without indentation) that only C++ writes.
fn is_cpp_line(line: &[u8]) -> bool {
    let after_template = line.strip_prefix(b"template").map(trim_start);
    after_template.is_some_and(|rest| rest.first() == Some(&b'<'))
        || starts_with_word(line, b"namespace")
        || starts_with_word(line, b"using namespace")
        || line
            .strip_prefix(b"class ")
            .map(trim_start)
            .is_some_and(|rest| rest.first().is_some_and(|&b| is_name_start(b)))
        || [&b"public"[..], b"private", b"protected"].iter().any(|access| is_access_specifier(line, access))
        || includes_extensionless_header(line)
        || line.windows(5).any(|window| window == b"std::")
}

/// True when `line` starts with `word` followed by a character that cannot continue it.
fn starts_with_word(line: &[u8], word: &[u8]) -> bool {
    line.strip_prefix(word).is_some_and(|rest| rest.first().is_none_or(|&b| !is_name_char(b)))
}

/// True for `public:` (and the like), alone or followed by a comment.
fn is_access_specifier(line: &[u8], access: &[u8]) -> bool {
    line.strip_prefix(access)
        .map(trim_start)
        .is_some_and(|rest| rest.first() == Some(&b':') && rest.get(1) != Some(&b':'))
}

/// True for `#include <name>` where the name has no extension: C's standard headers all end in
/// `.h`, C++'s (`<vector>`, `<cstdio>`) do not.
fn includes_extensionless_header(line: &[u8]) -> bool {
    let Some(directive) = line.strip_prefix(b"#").map(trim_start) else {
        return false;
    };
    let Some(rest) = directive.strip_prefix(b"include").map(trim_start) else {
        return false;
    };
    let Some(inner) = rest.strip_prefix(b"<") else {
        return false;
    };
    let name = &inner[..inner.iter().position(|&b| b == b'>').unwrap_or(inner.len())];
    name.len() < inner.len() && !name.is_empty() && name.iter().all(|&b| is_name_char(b) || b == b'/')
}

fn is_name_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_name_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

#[cfg(test)]
mod tests {
    use super::is_cpp_header;

    #[test]
    fn c_headers_stay_c() {
        let c = b"#ifndef FOO_H\n#define FOO_H\n#include <stdint.h>\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n\
                  struct point { int x, y; };\nint classify(int class_id);\n#endif\n";
        assert!(!is_cpp_header(c));
        assert!(!is_cpp_header(b"typedef struct { int public_count; } counts;\nint private_total(void);\n"));
    }

    /// Each C++ sign makes a header C++; words that only look like one do not.
    #[test]
    fn cpp_signs_and_near_misses() {
        let cases = [
            ("template <typename T>\nT max(T a, T b);\n", true),
            ("  template<class T> struct box;\n", true),
            ("namespace hwy {\n}\n", true),
            ("using namespace std;\n", true),
            ("class Widget : public Base {\n", true),
            ("struct S {\n public:\n  int x;\n};\n", true),
            ("  protected: // for subclasses\n", true),
            ("#include <vector>\n", true),
            ("# include <unordered_map>\n", true),
            ("void f(const std::string &name);\n", true),
            ("int templates;\n", false),
            ("int namespaces;\n", false),
            ("x = a ? b : c;\n", false),
            ("publication: ;\n", false),
            ("#include <stdio.h>\n", false),
            ("/// A search, based on Rust's `std::slice::binary_search_by`.\n", false),
            ("/**\n * @class Widget\n * class Widget is public: see std::vector\n */\n", false),
        ];
        for (text, cpp) in cases {
            assert_eq!(is_cpp_header(text.as_bytes()), cpp, "{text:?}");
        }
    }

    #[test]
    fn objective_c_headers_stay_c() {
        assert!(!is_cpp_header(b"#import <Foundation/Foundation.h>\n@interface RCTBridge : NSObject\n@end\n"));
        assert!(!is_cpp_header(b"#include <vector>\n@protocol RCTBridgeModule\n@end\n"));
    }
}
