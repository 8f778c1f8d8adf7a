//! The error of reading a description outside the compiler.

use std::fmt;

/// A problem in a description file, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// The file.
    pub path: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl Error {
    /// Locates a `syn::Error` (parsed outside a proc-macro, so spans carry
    /// line and column).
    pub fn at(path: &str, e: &syn::Error) -> Error {
        let start = e.span().start();
        Error {
            path: path.to_string(),
            line: start.line,
            column: start.column + 1,
            message: e.to_string(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: {}", self.path, self.line, self.column, self.message)
    }
}

impl std::error::Error for Error {}
