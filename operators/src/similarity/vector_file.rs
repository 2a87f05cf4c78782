//! A binary file of join entries, for checks that run outside the engine (the GPU check reads it
//! with `numpy.fromfile` or a plain `fread`).
//!
//! Layout, little-endian, no padding; N entries, D = 128:
//!
//! | offset | bytes | content |
//! |---|---|---|
//! | 0 | 8 | magic `CPTVEC01` |
//! | 8 | 4 | D, u32 (128) |
//! | 12 | 4 | reserved, u32 (0) |
//! | 16 | 8 | N, u64 |
//! | 24 | N·D | vectors, int8, row-major (entry i at `24 + i·D`) |
//! | 24 + N·D | 8·N | keys, i64 |
//! | 24 + N·D + 8·N | 4·N | sizes (tokens), u32 |
//!
//! The pairs of the file are those of its entries under the §4a contract: keys order a pair, sizes
//! feed the size-ratio bound.

use super::vector::{Entry, Vector};
use crate::model::VECTOR_DIMS;
use std::io::{self, Read, Write};

/// The file's first eight bytes.
pub const MAGIC: &[u8; 8] = b"CPTVEC01";

/// Bytes before the first vector.
pub const HEADER_BYTES: usize = 24;

/// Writes `entries` in the format above.
pub fn write_entries(mut out: impl Write, entries: &[Entry]) -> io::Result<()> {
    out.write_all(MAGIC)?;
    out.write_all(&(VECTOR_DIMS as u32).to_le_bytes())?;
    out.write_all(&0u32.to_le_bytes())?;
    out.write_all(&(entries.len() as u64).to_le_bytes())?;
    for entry in entries {
        out.write_all(&entry.vector.0.map(|x| x as u8))?;
    }
    for entry in entries {
        out.write_all(&entry.key.to_le_bytes())?;
    }
    for entry in entries {
        out.write_all(&entry.size.to_le_bytes())?;
    }
    out.flush()
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

fn read_array<const N: usize>(input: &mut impl Read, what: &str) -> io::Result<[u8; N]> {
    let mut bytes = [0; N];
    input.read_exact(&mut bytes).map_err(|e| match e.kind() {
        io::ErrorKind::UnexpectedEof => invalid(format!("the file ends inside {what}")),
        _ => e,
    })?;
    Ok(bytes)
}

/// Reads a file written by [`write_entries`]; a wrong magic or dimension, or a short file, is an
/// `InvalidData` error saying what is wrong.
pub fn read_entries(mut input: impl Read) -> io::Result<Vec<Entry>> {
    let magic: [u8; 8] = read_array(&mut input, "the header")?;
    if &magic != MAGIC {
        return Err(invalid(format!("not a cpt vector file: it starts {magic:?}, not {MAGIC:?}")));
    }
    let dims = u32::from_le_bytes(read_array(&mut input, "the header")?);
    if dims as usize != VECTOR_DIMS {
        return Err(invalid(format!("vectors of {dims} dimensions; this build joins {VECTOR_DIMS}")));
    }
    read_array::<4>(&mut input, "the header")?;
    let count = u64::from_le_bytes(read_array(&mut input, "the header")?);
    // Grown as rows arrive, so a corrupt count cannot allocate more than the file holds.
    let mut entries = Vec::new();
    for _ in 0..count {
        let row: [u8; VECTOR_DIMS] = read_array(&mut input, "the vectors")?;
        entries.push(Entry { key: 0, size: 0, vector: Vector(row.map(|x| x as i8)) });
    }
    for entry in &mut entries {
        entry.key = i64::from_le_bytes(read_array(&mut input, "the keys")?);
    }
    for entry in &mut entries {
        entry.size = u32::from_le_bytes(read_array(&mut input, "the sizes")?);
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries() -> Vec<Entry> {
        (0..3)
            .map(|i| Entry {
                key: i - 1,
                size: 7 * i as u32,
                vector: Vector(std::array::from_fn(|d| (d as i8) - i as i8)),
            })
            .collect()
    }

    #[test]
    fn entries_round_trip_at_the_documented_offsets() {
        let mut bytes = Vec::new();
        write_entries(&mut bytes, &entries()).unwrap();
        assert_eq!(bytes.len(), HEADER_BYTES + 3 * (VECTOR_DIMS + 12));
        assert_eq!(&bytes[16..24], &3u64.to_le_bytes());
        assert_eq!(bytes[HEADER_BYTES + VECTOR_DIMS + 5] as i8, 5 - 1);
        let keys = HEADER_BYTES + 3 * VECTOR_DIMS;
        assert_eq!(&bytes[keys..keys + 8], &(-1i64).to_le_bytes());
        assert_eq!(&bytes[keys + 24 + 4..keys + 24 + 8], &7u32.to_le_bytes());
        assert_eq!(read_entries(bytes.as_slice()).unwrap(), entries());
    }

    #[test]
    fn damaged_files_are_refused_with_a_reason() {
        let mut bytes = Vec::new();
        write_entries(&mut bytes, &entries()).unwrap();
        let short = read_entries(&bytes[..bytes.len() - 1]).unwrap_err();
        assert!(short.to_string().contains("ends inside the sizes"), "{short}");
        let mut wrong = bytes.clone();
        wrong[8] = 64;
        assert!(read_entries(wrong.as_slice()).unwrap_err().to_string().contains("64 dimensions"));
        assert!(read_entries(&b"PAR1xxxxxxxxxxxxxxxxxxxxxxxxx"[..]).unwrap_err().to_string().contains("not a cpt"));
    }
}
