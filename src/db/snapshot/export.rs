//! The stream a copy is taken into while writes wait: every entry of every
//! tree, length-prefixed, written sequentially through a buffer — several
//! times faster than inserting into a new sled folder, which happens after
//! the writes go on (`import`). Transient: it never outlives the copy.
//!
//! Each record: the tree name, the key and the value, each as a 4-byte
//! big-endian length and its bytes.

use std::collections::BTreeMap;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;

use super::super::error::DbError;

/// How many entries one batch into the new folder holds.
const IMPORT_BATCH_ENTRIES_MAX: usize = 4096;
const BUFFER_BYTES: usize = 1 << 20;

/// Writes every entry of `from` to the file `path` (created new).
pub fn export(from: &sled::Db, path: &Path) -> Result<BTreeMap<String, u64>, DbError> {
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    let mut out = BufWriter::with_capacity(BUFFER_BYTES, file);
    let mut counts = BTreeMap::new();
    for name in from.tree_names() {
        let mut copied = 0u64;
        for item in from.open_tree(&name)?.iter() {
            let (key, value) = item?;
            for part in [&name[..], &key[..], &value[..]] {
                write_part(&mut out, part)?;
            }
            copied += 1;
        }
        counts.insert(String::from_utf8_lossy(&name).into_owned(), copied);
    }
    out.flush()?;
    Ok(counts)
}

/// Inserts every entry of the file `path` into `to`.
pub fn import(path: &Path, to: &sled::Db) -> Result<(), DbError> {
    let mut input = BufReader::with_capacity(BUFFER_BYTES, std::fs::File::open(path)?);
    let mut batch = sled::Batch::default();
    let mut in_batch = 0usize;
    let mut tree_name: Vec<u8> = Vec::new();
    while let Some(name) = read_part(&mut input)? {
        let (Some(key), Some(value)) = (read_part(&mut input)?, read_part(&mut input)?) else {
            return Err(cut_short());
        };
        if name != tree_name || in_batch == IMPORT_BATCH_ENTRIES_MAX {
            if in_batch > 0 {
                to.open_tree(&tree_name)?
                    .apply_batch(std::mem::take(&mut batch))?;
            }
            in_batch = 0;
            tree_name = name;
        }
        batch.insert(key, value);
        in_batch += 1;
    }
    if in_batch > 0 {
        to.open_tree(&tree_name)?.apply_batch(batch)?;
    }
    Ok(())
}

fn write_part(out: &mut impl Write, bytes: &[u8]) -> Result<(), DbError> {
    let len =
        u32::try_from(bytes.len()).map_err(|_| std::io::Error::other("an entry over 4 GiB"))?;
    out.write_all(&len.to_be_bytes())?;
    out.write_all(bytes)?;
    Ok(())
}

/// The next part, or `None` at the end of the stream.
fn read_part(input: &mut impl Read) -> Result<Option<Vec<u8>>, DbError> {
    let mut len = [0u8; 4];
    match input.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e.into()),
    }
    let len = usize::try_from(u32::from_be_bytes(len)).map_err(|_| cut_short())?;
    let mut bytes = vec![0u8; len];
    input.read_exact(&mut bytes).map_err(|_| cut_short())?;
    Ok(Some(bytes))
}

fn cut_short() -> DbError {
    DbError::from(std::io::Error::other(
        "the copy's export stream is cut short",
    ))
}
