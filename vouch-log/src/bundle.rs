//! Entry bundles: the entries beside a level-0 tile, each a big-endian
//! uint16 length followed by that many bytes.

use std::path::Path;

use crate::LogError;

/// The largest entry, in bytes: what a uint16 length can say.
pub const MAX_ENTRY_LEN: usize = u16::MAX as usize;

/// The largest bundle of `width` entries.
pub(crate) fn max_len(width: u16) -> u64 {
    u64::from(width) * (2 + MAX_ENTRY_LEN as u64)
}

/// Appends `entry`, length-prefixed, to `bundle`.
pub(crate) fn push(bundle: &mut Vec<u8>, entry: &[u8]) -> Result<(), LogError> {
    let len = u16::try_from(entry.len()).map_err(|_| LogError::EntryTooLarge {
        len: entry.len(),
        max: MAX_ENTRY_LEN,
    })?;
    bundle.extend_from_slice(&len.to_be_bytes());
    bundle.extend_from_slice(entry);
    Ok(())
}

/// The entries of a bundle that must hold exactly `width` of them, with
/// nothing after the last.
pub(crate) fn parse<'a>(
    bytes: &'a [u8],
    width: u16,
    path: &Path,
) -> Result<Vec<&'a [u8]>, LogError> {
    let bad = || LogError::MalformedBundle {
        path: path.to_owned(),
        width,
    };
    let mut entries = Vec::with_capacity(usize::from(width));
    let mut rest = bytes;
    for _ in 0..width {
        let (len, tail) = rest.split_first_chunk::<2>().ok_or_else(bad)?;
        let len = usize::from(u16::from_be_bytes(*len));
        let (entry, tail) = tail.split_at_checked(len).ok_or_else(bad)?;
        entries.push(entry);
        rest = tail;
    }
    if !rest.is_empty() {
        return Err(bad());
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_refusals() -> Result<(), LogError> {
        let p = Path::new("b");
        let mut b = Vec::new();
        push(&mut b, b"ab")?;
        push(&mut b, b"")?;
        push(&mut b, &[7; 300])?;
        assert_eq!(&b[..5], &[0, 2, b'a', b'b', 0]);
        assert_eq!(&b[6..8], &[0x01, 0x2c]);
        let e = parse(&b, 3, p)?;
        assert_eq!(e, vec![&b"ab"[..], b"", &[7; 300][..]]);
        assert!(parse(&b, 2, p).is_err(), "trailing entry");
        assert!(parse(&b, 4, p).is_err(), "missing entry");
        assert!(parse(&b[..b.len() - 1], 3, p).is_err(), "short entry");
        assert!(push(&mut b, &vec![0; MAX_ENTRY_LEN + 1]).is_err());
        push(&mut b, &vec![0; MAX_ENTRY_LEN])?;
        Ok(())
    }
}
