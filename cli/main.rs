//! The `cpt` binary: parses the command line and runs it (see `cpt --help`).

use clap::Parser;
use std::process::ExitCode;

/// mimalloc for Rust allocations; tree-sitter's C allocations go to it too (see `main`).
/// Measured on the bench corpus: 17 % less wall time than glibc's malloc.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in the `mi_option_t` of mimalloc (v2 and v3 alike, mimalloc.h).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// How long freed memory stays with the process before it goes back to the OS, in milliseconds,
/// unless `MIMALLOC_PURGE_DELAY` says otherwise. Returning it at once (0) kept peak RSS at glibc's
/// level but had every large buffer that differential frees and allocates again faulted in and
/// zeroed anew (a fifth of a restart's CPU); a second cuts that (cold replay 47.7 → 45.2 s, scan
/// of the bench corpus 62.2 → 59.5 s, for 10–25 % more peak RSS) and still hands an idle watch's
/// memory back.
const PURGE_DELAY_MS: std::os::raw::c_long = 1000;

fn main() -> ExitCode {
    // SAFETY: called once, before any tree-sitter object exists; the four functions are one
    // allocator family with malloc's alignment, returning null only on exhaustion.
    unsafe {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS);
        }
        tree_sitter::set_allocator(Some(tree_sitter::Allocator {
            malloc: libmimalloc_sys::mi_malloc,
            calloc: libmimalloc_sys::mi_calloc,
            realloc: libmimalloc_sys::mi_realloc,
            free: libmimalloc_sys::mi_free,
        }));
    }
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .init();
    cpt::run(cpt::Cli::parse())
}
