//! Test harness placeholder.
