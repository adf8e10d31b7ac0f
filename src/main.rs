//! The `prescan` command line, a thin face over the library: it parses
//! arguments, reads files, calls the library and prints. See `prescan --help`.

#[cfg(not(target_arch = "wasm32"))]
mod cli;

/// mimalloc rather than the system's allocator: see its line in Cargo.toml.
#[cfg(not(target_arch = "wasm32"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    cli::main()
}

/// The command line is native only; the Wasm build has the library alone.
#[cfg(target_arch = "wasm32")]
fn main() {}
