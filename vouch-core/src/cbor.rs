//! Canonical CBOR: deterministic encoding (RFC 8949 §4.2.1) and a strict
//! single-pass validator that refuses everything else.
//!
//! vouch signs the canonical bytes of a value and stores exactly those bytes,
//! so one value has one encoding and a stored document re-encodes to itself.
//! The profile is RFC 8949 §4.2.1 ("core deterministic encoding") with two
//! narrowings that vouch's documents never need: floating-point numbers and
//! simple values other than `false`, `true` and `null` are refused.
//!
//! ```
//! use vouch_core::cbor::{from_canonical, to_canonical};
//! use std::collections::BTreeMap;
//! let mut m = BTreeMap::new();
//! m.insert("zeta".to_string(), 1u32);
//! m.insert("b".to_string(), 2u32);
//! let bytes = to_canonical(&m).unwrap();
//! // "b" (0x61 0x62) sorts before "zeta" (0x64 ...): bytewise order of the encoded keys.
//! assert_eq!(bytes, [0xa2, 0x61, b'b', 0x02, 0x64, b'z', b'e', b't', b'a', 0x01]);
//! let back: BTreeMap<String, u32> = from_canonical(&bytes).unwrap();
//! assert_eq!(back, m);
//! ```

use ciborium::value::Value;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Bounds applied to every decode of untrusted bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest input accepted, in bytes.
    pub max_size: usize,
    /// Deepest nesting of arrays, maps and tags accepted.
    pub max_depth: usize,
}

impl Limits {
    /// The defaults: 64 MiB and 64 levels. A release statement listing ten
    /// thousand components is about 2 MB; nothing vouch writes nests beyond
    /// a dozen levels.
    pub const DEFAULT: Limits = Limits {
        max_size: 64 << 20,
        max_depth: 64,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// What the validator demands beyond well-formedness.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strictness {
    /// vouch's canonical profile (RFC 8949 §4.2.1, no floats, no unusual simple values).
    Canonical,
    /// Any well-formed CBOR with valid UTF-8 text: for formats written by
    /// other tools (COSE examples, WebAuthn), still bounded by [`Limits`].
    WellFormed,
    /// [`Strictness::Canonical`], and the shape of a serde document: map
    /// keys are text, and there are no tags and no nulls. A typed decoder
    /// would read a byte-string key as the same field name, skip a tag and
    /// read `null` as an absent option, so without these rules two byte
    /// strings could decode to one value; with them, a document that
    /// decodes re-encodes to exactly its bytes.
    Document,
}

/// Why bytes were refused as CBOR. Offsets are byte positions in the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CborError {
    /// The input is larger than the size limit.
    #[error("CBOR input of {size} bytes exceeds the limit of {limit} bytes")]
    TooLarge {
        /// Input size.
        size: usize,
        /// The limit in force.
        limit: usize,
    },
    /// Arrays, maps or tags nest deeper than the limit.
    #[error("CBOR nesting deeper than {limit} levels at byte {offset}")]
    TooDeep {
        /// Where the item that went too deep starts.
        offset: usize,
        /// The limit in force.
        limit: usize,
    },
    /// The input ends in the middle of an item.
    #[error("CBOR input truncated at byte {offset}")]
    Truncated {
        /// Where more bytes were needed.
        offset: usize,
    },
    /// Bytes follow the single top-level item.
    #[error("trailing bytes after the CBOR item, starting at byte {offset}")]
    TrailingBytes {
        /// First byte after the item.
        offset: usize,
    },
    /// An integer, tag or simple value uses more bytes than it needs.
    #[error("integer not in its shortest form at byte {offset}")]
    NonShortestInteger {
        /// Start of the item.
        offset: usize,
    },
    /// A string, array or map length uses more bytes than it needs.
    #[error("length not in its shortest form at byte {offset}")]
    NonShortestLength {
        /// Start of the item.
        offset: usize,
    },
    /// An indefinite-length string, array or map (refused in canonical form).
    #[error("indefinite-length item at byte {offset}")]
    IndefiniteLength {
        /// Start of the item.
        offset: usize,
    },
    /// A map key does not sort after the key before it.
    #[error("map keys not in canonical order at byte {offset}")]
    UnsortedMapKeys {
        /// Start of the out-of-order key.
        offset: usize,
    },
    /// A map key equals the key before it.
    #[error("duplicate map key at byte {offset}")]
    DuplicateMapKey {
        /// Start of the repeated key.
        offset: usize,
    },
    /// A floating-point number (vouch's canonical profile has none).
    #[error("floating-point value at byte {offset} (not allowed in canonical form)")]
    FloatNotAllowed {
        /// Start of the item.
        offset: usize,
    },
    /// A simple value other than false, true or null.
    #[error("simple value {value} at byte {offset} is not allowed")]
    SimpleValueNotAllowed {
        /// Start of the item.
        offset: usize,
        /// The simple value number.
        value: u8,
    },
    /// A map key that is not a text string (document profile).
    #[error("map key at byte {offset} is not a text string")]
    NonTextMapKey {
        /// Start of the key.
        offset: usize,
    },
    /// A tag (document profile).
    #[error("tag at byte {offset} is not allowed in a document")]
    TagNotAllowed {
        /// Start of the tag.
        offset: usize,
    },
    /// A null (document profile: absent fields are omitted, never null).
    #[error("null at byte {offset} is not allowed in a document (omit the field)")]
    NullNotAllowed {
        /// Start of the item.
        offset: usize,
    },
    /// A text string that is not valid UTF-8.
    #[error("text string at byte {offset} is not valid UTF-8")]
    InvalidUtf8 {
        /// Start of the string.
        offset: usize,
    },
    /// A byte sequence that is not CBOR at all (reserved values, stray break).
    #[error("malformed CBOR at byte {offset}")]
    Malformed {
        /// Start of the item.
        offset: usize,
    },
    /// Well-formed canonical CBOR that does not have the shape the type expects.
    #[error("CBOR does not match the expected structure{}: {reason}", offset.map(|o| format!(" at byte {o}")).unwrap_or_default())]
    Schema {
        /// Where the decoder stopped, when it knows.
        offset: Option<usize>,
        /// What the type's deserializer reported.
        reason: String,
    },
    /// The value cannot be written as canonical CBOR.
    #[error("value cannot be encoded as canonical CBOR: {reason}")]
    Encode {
        /// What the serializer reported.
        reason: String,
    },
}

/// Checks that `bytes` hold exactly one CBOR item under the given rules.
///
/// This is a single pass over the bytes that never allocates, never recurses
/// beyond `limits.max_depth` and never trusts a length before checking it
/// against the bytes that remain.
pub fn validate(bytes: &[u8], strictness: Strictness, limits: Limits) -> Result<(), CborError> {
    if bytes.len() > limits.max_size {
        return Err(CborError::TooLarge {
            size: bytes.len(),
            limit: limits.max_size,
        });
    }
    let mut v = Validator {
        bytes,
        pos: 0,
        strict: strictness != Strictness::WellFormed,
        document: strictness == Strictness::Document,
        max_depth: limits.max_depth,
        byte_strings: false,
    };
    v.item(0)?;
    if v.pos != bytes.len() {
        return Err(CborError::TrailingBytes { offset: v.pos });
    }
    Ok(())
}

/// Returns the length of the first complete CBOR item in `bytes` (well-formed
/// rules, bounded by `limits`), so a caller can split a sequence of items.
pub fn item_len(bytes: &[u8], limits: Limits) -> Result<usize, CborError> {
    let mut v = Validator::lenient(bytes, limits);
    v.item(0)?;
    Ok(v.pos)
}

/// Finds the text value of `key` in a top-level CBOR map without decoding
/// the rest: other values are skipped over, not built.
///
/// Returns `Ok(None)` when the map has no such key or its value is not
/// text. The input is expected to have passed [`validate`] already; malformed
/// input still yields an error, never a panic.
pub fn map_text_field<'a>(
    bytes: &'a [u8],
    key: &str,
    limits: Limits,
) -> Result<Option<&'a str>, CborError> {
    match map_field(bytes, key, limits)? {
        Some(value) => Validator::lenient(value, limits).text(),
        None => Ok(None),
    }
}

/// Finds the raw bytes of the value of `key` in a top-level CBOR map
/// without decoding anything else: other values are skipped over.
///
/// Returns `Ok(None)` when the input is not a definite-length map or has
/// no such key. Malformed input yields an error, never a panic; the value
/// itself is not checked beyond being one well-formed item.
///
/// ```
/// use vouch_core::cbor::{Limits, map_field, to_canonical};
/// let bytes = to_canonical(&serde_json::json!({"a": [1, 2], "b": "x"})).unwrap();
/// assert_eq!(map_field(&bytes, "a", Limits::DEFAULT), Ok(Some(&[0x82, 0x01, 0x02][..])));
/// assert_eq!(map_field(&bytes, "c", Limits::DEFAULT), Ok(None));
/// ```
pub fn map_field<'a>(
    bytes: &'a [u8],
    key: &str,
    limits: Limits,
) -> Result<Option<&'a [u8]>, CborError> {
    let mut v = Validator::lenient(bytes, limits);
    let h = v.head()?;
    if h.major != 5 {
        return Ok(None);
    }
    let Some(n) = v.length(&h)? else {
        return Ok(None);
    };
    for _ in 0..n {
        let key_text = v.text()?;
        let start = v.pos;
        v.item(1)?;
        if key_text == Some(key) {
            return Ok(Some(&bytes[start..v.pos]));
        }
    }
    Ok(None)
}

/// The items of the definite-length array at the start of `bytes`, each as
/// its encoded bytes, read one at a time and never decoded: the count its
/// head declares is [`ArrayItems::len`], known before any item is read, so
/// a caller can refuse an array by its count before decoding it.
///
/// Returns `Ok(None)` when `bytes` does not start with a definite-length
/// array. Malformed input yields an error, never a panic.
///
/// ```
/// use vouch_core::cbor::{Limits, array_items, to_canonical};
/// let bytes = to_canonical(&serde_json::json!([1, [2, 3]])).unwrap();
/// let items = array_items(&bytes, Limits::DEFAULT).unwrap().unwrap();
/// assert_eq!(items.len(), 2);
/// let raw: Vec<&[u8]> = items.collect::<Result<_, _>>().unwrap();
/// assert_eq!(raw, [&[0x01][..], &[0x82, 0x02, 0x03][..]]);
/// ```
pub fn array_items(bytes: &[u8], limits: Limits) -> Result<Option<ArrayItems<'_>>, CborError> {
    let mut v = Validator::lenient(bytes, limits);
    let h = v.head()?;
    if h.major != 4 {
        return Ok(None);
    }
    Ok(v.length(&h)?.map(|remaining| ArrayItems { v, remaining }))
}

/// The entries of the definite-length map at the start of `bytes`, each as
/// its key's text (`None` for a key that is not a definite-length text
/// string) and its value's encoded bytes, read one at a time and never
/// decoded: one pass over a map where [`map_field`] for each of several
/// keys would take one per key.
///
/// Returns `Ok(None)` when `bytes` does not start with a definite-length
/// map. Malformed input yields an error, never a panic.
///
/// ```
/// use vouch_core::cbor::{Limits, map_entries, to_canonical};
/// let bytes = to_canonical(&serde_json::json!({"a": [1], "b": 2})).unwrap();
/// let entries: Vec<_> = map_entries(&bytes, Limits::DEFAULT)
///     .unwrap()
///     .unwrap()
///     .collect::<Result<_, _>>()
///     .unwrap();
/// assert_eq!(entries, [(Some("a"), &[0x81, 0x01][..]), (Some("b"), &[0x02][..])]);
/// ```
pub fn map_entries(bytes: &[u8], limits: Limits) -> Result<Option<MapEntries<'_>>, CborError> {
    let mut v = Validator::lenient(bytes, limits);
    let h = v.head()?;
    if h.major != 5 {
        return Ok(None);
    }
    Ok(v.length(&h)?.map(|remaining| MapEntries { v, remaining }))
}

/// The entries of one map, from [`map_entries`].
pub struct MapEntries<'a> {
    v: Validator<'a>,
    remaining: usize,
}

impl std::fmt::Debug for MapEntries<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MapEntries")
            .field("remaining", &self.remaining)
            .finish_non_exhaustive()
    }
}

impl<'a> MapEntries<'a> {
    fn entry(&mut self) -> Result<(Option<&'a str>, &'a [u8]), CborError> {
        let key = self.v.text()?;
        let start = self.v.pos;
        self.v.item(1)?;
        Ok((key, &self.v.bytes[start..self.v.pos]))
    }
}

impl<'a> Iterator for MapEntries<'a> {
    type Item = Result<(Option<&'a str>, &'a [u8]), CborError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.remaining = self.remaining.checked_sub(1)?;
        let entry = self.entry();
        if entry.is_err() {
            // Nothing after a malformed entry can be found.
            self.remaining = 0;
        }
        Some(entry)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl ExactSizeIterator for MapEntries<'_> {}

/// The items of one array, from [`array_items`].
pub struct ArrayItems<'a> {
    v: Validator<'a>,
    remaining: usize,
}

impl std::fmt::Debug for ArrayItems<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArrayItems")
            .field("remaining", &self.remaining)
            .finish_non_exhaustive()
    }
}

impl<'a> Iterator for ArrayItems<'a> {
    type Item = Result<&'a [u8], CborError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.remaining = self.remaining.checked_sub(1)?;
        let start = self.v.pos;
        Some(match self.v.item(1) {
            Ok(()) => Ok(&self.v.bytes[start..self.v.pos]),
            Err(e) => {
                // Nothing after a malformed item can be found.
                self.remaining = 0;
                Err(e)
            }
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl ExactSizeIterator for ArrayItems<'_> {}

/// [`validate`] and [`map_text_field`] in one pass: checks that `bytes`
/// hold exactly one CBOR item under the given rules and, when it is a
/// definite-length map, returns the text value of its first entry whose
/// key is `key` (`None` when there is no such entry or its value is not a
/// definite-length text string).
///
/// ```
/// use vouch_core::cbor::{Limits, Strictness, to_canonical, validate_map_text_field};
/// let bytes = to_canonical(&serde_json::json!({"predicateType": "uri:x", "z": [1]})).unwrap();
/// let ty = validate_map_text_field(&bytes, "predicateType", Strictness::Document, Limits::DEFAULT);
/// assert_eq!(ty, Ok(Some("uri:x")));
/// ```
pub fn validate_map_text_field<'a>(
    bytes: &'a [u8],
    key: &str,
    strictness: Strictness,
    limits: Limits,
) -> Result<Option<&'a str>, CborError> {
    validate_map_text_field_seen(bytes, key, strictness, limits).map(|(found, _)| found)
}

/// [`validate_map_text_field`], also saying whether the item holds a byte
/// string anywhere. A typed decoder may read a byte string where a text
/// string belongs; a caller that must refuse such bytes (one value, two
/// encodings) re-encodes what it decoded and compares, and can skip that
/// when there is no byte string at all.
pub fn validate_map_text_field_seen<'a>(
    bytes: &'a [u8],
    key: &str,
    strictness: Strictness,
    limits: Limits,
) -> Result<(Option<&'a str>, bool), CborError> {
    if bytes.len() > limits.max_size {
        return Err(CborError::TooLarge {
            size: bytes.len(),
            limit: limits.max_size,
        });
    }
    let mut v = Validator {
        bytes,
        pos: 0,
        strict: strictness != Strictness::WellFormed,
        document: strictness == Strictness::Document,
        max_depth: limits.max_depth,
        byte_strings: false,
    };
    let found = match bytes.first() {
        // A map head: read it here so its entries can be looked at.
        Some(b) if b >> 5 == 5 => {
            let h = v.head()?;
            v.enter(&h, 0)?;
            match v.length(&h)? {
                Some(n) => v.definite_map(n, 0, Some(key))?,
                None => {
                    v.pos = 0;
                    v.item(0)?;
                    None
                }
            }
        }
        _ => {
            v.item(0)?;
            None
        }
    };
    if v.pos != bytes.len() {
        return Err(CborError::TrailingBytes { offset: v.pos });
    }
    Ok((found, v.byte_strings))
}

/// Walks bytes that [`validate`] already accepted, one item at a time, for
/// decoders of a fixed shape (COSE structures) that need no value tree.
/// Each reading method returns `None`, consuming nothing, when the next
/// item is not of the kind asked for.
pub(crate) struct Reader<'a> {
    v: Validator<'a>,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8], limits: Limits) -> Self {
        Reader {
            v: Validator {
                bytes,
                pos: 0,
                strict: false,
                document: false,
                max_depth: limits.max_depth,
                byte_strings: false,
            },
        }
    }

    /// Reads a head of major type `major` with a definite argument.
    fn definite(&mut self, major: u8) -> Result<Option<Head>, CborError> {
        let start = self.v.pos;
        match self.v.bytes.get(start) {
            Some(b) if b >> 5 == major => {}
            _ => return Ok(None),
        }
        let h = self.v.head()?;
        if h.arg.is_none() {
            self.v.pos = start;
            return Ok(None);
        }
        Ok(Some(h))
    }

    /// A tag number.
    pub(crate) fn tag(&mut self) -> Result<Option<u64>, CborError> {
        Ok(self.definite(6)?.and_then(|h| h.arg))
    }

    /// The length of a definite-length array; its items follow.
    pub(crate) fn array(&mut self) -> Result<Option<usize>, CborError> {
        match self.definite(4)? {
            Some(h) => self.v.length(&h),
            None => Ok(None),
        }
    }

    /// Consumes the head of an indefinite-length array when that is what
    /// comes next; its items follow, then a break.
    pub(crate) fn indefinite_array(&mut self) -> bool {
        if self.v.bytes.get(self.v.pos) == Some(&0x9f) {
            self.v.pos += 1;
            true
        } else {
            false
        }
    }

    /// The number of entries of a definite-length map; its keys and values follow.
    pub(crate) fn map(&mut self) -> Result<Option<usize>, CborError> {
        match self.definite(5)? {
            Some(h) => self.v.length(&h),
            None => Ok(None),
        }
    }

    /// The offset of the next item in the input.
    pub(crate) fn position(&self) -> usize {
        self.v.pos
    }

    /// The content of a definite-length byte string.
    pub(crate) fn bytes(&mut self) -> Result<Option<&'a [u8]>, CborError> {
        match self.definite(2)? {
            Some(h) => match self.v.length(&h)? {
                Some(n) => self.v.take(n).map(Some),
                None => Ok(None),
            },
            None => Ok(None),
        }
    }

    /// Skips one item of any kind and returns its encoded bytes.
    pub(crate) fn raw(&mut self) -> Result<&'a [u8], CborError> {
        let start = self.v.pos;
        self.v.item(0)?;
        Ok(&self.v.bytes[start..self.v.pos])
    }

    /// Whether every byte has been read.
    pub(crate) fn at_end(&self) -> bool {
        self.v.pos == self.v.bytes.len()
    }
}

struct Validator<'a> {
    bytes: &'a [u8],
    pos: usize,
    strict: bool,
    document: bool,
    max_depth: usize,
    /// Whether a byte string was seen (see [`validate_map_text_field_seen`]).
    byte_strings: bool,
}

/// Decoded initial byte and argument of one item.
struct Head {
    start: usize,
    major: u8,
    /// `None` for indefinite length (additional info 31).
    arg: Option<u64>,
    info: u8,
}

impl<'a> Validator<'a> {
    /// A reader of well-formed items (no canonical or document rules),
    /// for skipping over and picking out parts of already checked input.
    fn lenient(bytes: &'a [u8], limits: Limits) -> Self {
        Validator {
            bytes,
            pos: 0,
            strict: false,
            document: false,
            max_depth: limits.max_depth,
            byte_strings: false,
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], CborError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or(CborError::Truncated { offset: self.pos })?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn head(&mut self) -> Result<Head, CborError> {
        let start = self.pos;
        let ib = *self
            .bytes
            .get(self.pos)
            .ok_or(CborError::Truncated { offset: start })?;
        self.pos += 1;
        let major = ib >> 5;
        let info = ib & 0x1f;
        let arg = match info {
            0..=23 => Some(u64::from(info)),
            24 => Some(u64::from(self.take(1)?[0])),
            25 => {
                let b = self.take(2)?;
                Some(u64::from(u16::from_be_bytes([b[0], b[1]])))
            }
            26 => {
                let b = self.take(4)?;
                Some(u64::from(u32::from_be_bytes([b[0], b[1], b[2], b[3]])))
            }
            27 => {
                let b = self.take(8)?;
                let mut a = [0u8; 8];
                a.copy_from_slice(b);
                Some(u64::from_be_bytes(a))
            }
            28..=30 => return Err(CborError::Malformed { offset: start }),
            _ => None,
        };
        Ok(Head {
            start,
            major,
            arg,
            info,
        })
    }

    /// True when the argument used more bytes than its value needs.
    fn non_shortest(h: &Head) -> bool {
        match (h.info, h.arg) {
            (24, Some(v)) => v < 24,
            (25, Some(v)) => v <= 0xff,
            (26, Some(v)) => v <= 0xffff,
            (27, Some(v)) => v <= 0xffff_ffff,
            _ => false,
        }
    }

    /// A bignum (tag 2 or 3, started at `tag`) whose byte string began at
    /// `content` and has just been read: its preferred serialization (RFC
    /// 8949 §3.4.3, required by §4.2.1) has no leading zero byte, and a value
    /// that fits in 64 bits is a plain integer instead. Otherwise one integer
    /// would have two canonical encodings, and a decoder that reads bignums
    /// as integers (ciborium does) would re-encode other bytes.
    fn check_bignum(&self, tag: usize, content: usize) -> Result<(), CborError> {
        let item = &self.bytes[content..self.pos];
        let Some(&first) = item.first() else {
            return Ok(());
        };
        if first >> 5 != 2 {
            // Not a byte string: not a bignum, and not read as one either.
            return Ok(());
        }
        let head_len = match first & 0x1f {
            0..=23 => 1,
            24 => 2,
            25 => 3,
            26 => 5,
            _ => 9,
        };
        let value = item.get(head_len..).unwrap_or_default();
        if value.len() <= 8 || value[0] == 0 {
            return Err(CborError::NonShortestInteger { offset: tag });
        }
        Ok(())
    }

    fn length(&self, h: &Head) -> Result<Option<usize>, CborError> {
        match h.arg {
            None => {
                if self.strict {
                    Err(CborError::IndefiniteLength { offset: h.start })
                } else {
                    Ok(None)
                }
            }
            Some(v) => {
                if self.strict && Self::non_shortest(h) {
                    return Err(CborError::NonShortestLength { offset: h.start });
                }
                // A claimed length can never exceed what is left of the input;
                // refusing it here keeps every later step bounded.
                let remaining = self.bytes.len() - self.pos;
                match usize::try_from(v) {
                    Ok(n) if n <= remaining => Ok(Some(n)),
                    _ => Err(CborError::Truncated { offset: h.start }),
                }
            }
        }
    }

    fn item(&mut self, depth: usize) -> Result<(), CborError> {
        let h = self.head()?;
        match h.major {
            0 | 1 => {
                if h.arg.is_none() {
                    return Err(CborError::Malformed { offset: h.start });
                }
                if self.strict && Self::non_shortest(&h) {
                    return Err(CborError::NonShortestInteger { offset: h.start });
                }
                Ok(())
            }
            2 | 3 => match self.length(&h)? {
                Some(n) => {
                    self.byte_strings |= h.major == 2;
                    let s = self.take(n)?;
                    if h.major == 3 && std::str::from_utf8(s).is_err() {
                        return Err(CborError::InvalidUtf8 { offset: h.start });
                    }
                    Ok(())
                }
                None => {
                    self.byte_strings |= h.major == 2;
                    self.indefinite_string(&h)
                }
            },
            4 => {
                self.enter(&h, depth)?;
                match self.length(&h)? {
                    Some(n) => {
                        for _ in 0..n {
                            self.item(depth + 1)?;
                        }
                        Ok(())
                    }
                    None => {
                        while !self.at_break()? {
                            self.item(depth + 1)?;
                        }
                        Ok(())
                    }
                }
            }
            5 => {
                self.enter(&h, depth)?;
                match self.length(&h)? {
                    Some(n) => self.definite_map(n, depth, None).map(|_| ()),
                    None => {
                        while !self.at_break()? {
                            self.item(depth + 1)?;
                            self.item(depth + 1)?;
                        }
                        Ok(())
                    }
                }
            }
            6 => {
                if h.arg.is_none() {
                    return Err(CborError::Malformed { offset: h.start });
                }
                if self.document {
                    return Err(CborError::TagNotAllowed { offset: h.start });
                }
                if self.strict && Self::non_shortest(&h) {
                    return Err(CborError::NonShortestInteger { offset: h.start });
                }
                self.enter(&h, depth)?;
                let content = self.pos;
                self.item(depth + 1)?;
                if self.strict && matches!(h.arg, Some(2 | 3)) {
                    self.check_bignum(h.start, content)?;
                }
                Ok(())
            }
            _ => self.simple_or_float(&h),
        }
    }

    /// Checks the `n` entries of a definite-length map whose head was read
    /// at `depth`. When `want` is given, also returns the value of the first
    /// entry whose key is that text, when the value is a definite-length
    /// text string (what [`map_text_field`] finds), in the same pass.
    fn definite_map(
        &mut self,
        n: usize,
        depth: usize,
        want: Option<&str>,
    ) -> Result<Option<&'a str>, CborError> {
        let mut prev: Option<(usize, usize)> = None;
        let mut found = None;
        for _ in 0..n {
            let key_start = self.pos;
            if self.document && self.bytes.get(key_start).map(|b| b >> 5) != Some(3) {
                return Err(CborError::NonTextMapKey { offset: key_start });
            }
            self.item(depth + 1)?;
            let key = (key_start, self.pos);
            if self.strict {
                if let Some((ps, pe)) = prev {
                    match self.bytes[ps..pe].cmp(&self.bytes[key.0..key.1]) {
                        std::cmp::Ordering::Less => {}
                        std::cmp::Ordering::Equal => {
                            return Err(CborError::DuplicateMapKey { offset: key_start });
                        }
                        std::cmp::Ordering::Greater => {
                            return Err(CborError::UnsortedMapKeys { offset: key_start });
                        }
                    }
                }
                prev = Some(key);
            }
            let value_start = self.pos;
            self.item(depth + 1)?;
            if let Some(want) = want
                && found.is_none()
                && self.text_at(key.0)? == Some(want)
            {
                found = Some(self.text_at(value_start)?);
            }
        }
        Ok(found.flatten())
    }

    /// The definite-length text string at `pos` (an item already checked),
    /// or `None` for any other item.
    fn text_at(&self, pos: usize) -> Result<Option<&'a str>, CborError> {
        let mut v = Validator {
            bytes: self.bytes,
            pos,
            strict: false,
            document: false,
            max_depth: self.max_depth,
            byte_strings: false,
        };
        let h = v.head()?;
        if h.major != 3 {
            return Ok(None);
        }
        let Some(n) = v.length(&h)? else {
            return Ok(None);
        };
        let s = v.take(n)?;
        std::str::from_utf8(s)
            .map(Some)
            .map_err(|_| CborError::InvalidUtf8 { offset: pos })
    }

    /// Reads one item; returns it when it is a definite-length text string.
    fn text(&mut self) -> Result<Option<&'a str>, CborError> {
        let start = self.pos;
        let h = self.head()?;
        if h.major == 3
            && let Some(n) = self.length(&h)?
        {
            let s = self.take(n)?;
            return std::str::from_utf8(s)
                .map(Some)
                .map_err(|_| CborError::InvalidUtf8 { offset: start });
        }
        self.pos = start;
        self.item(1)?;
        Ok(None)
    }

    fn enter(&self, h: &Head, depth: usize) -> Result<(), CborError> {
        if depth >= self.max_depth {
            Err(CborError::TooDeep {
                offset: h.start,
                limit: self.max_depth,
            })
        } else {
            Ok(())
        }
    }

    fn at_break(&mut self) -> Result<bool, CborError> {
        match self.bytes.get(self.pos) {
            None => Err(CborError::Truncated { offset: self.pos }),
            Some(0xff) => {
                self.pos += 1;
                Ok(true)
            }
            Some(_) => Ok(false),
        }
    }

    fn indefinite_string(&mut self, h: &Head) -> Result<(), CborError> {
        while !self.at_break()? {
            let chunk = self.head()?;
            if chunk.major != h.major || chunk.arg.is_none() {
                return Err(CborError::Malformed {
                    offset: chunk.start,
                });
            }
            let n = self.length(&chunk)?.ok_or(CborError::Malformed {
                offset: chunk.start,
            })?;
            let s = self.take(n)?;
            if h.major == 3 && std::str::from_utf8(s).is_err() {
                return Err(CborError::InvalidUtf8 {
                    offset: chunk.start,
                });
            }
        }
        Ok(())
    }

    fn simple_or_float(&mut self, h: &Head) -> Result<(), CborError> {
        match h.info {
            0..=19 | 23 => {
                if self.strict {
                    return Err(CborError::SimpleValueNotAllowed {
                        offset: h.start,
                        value: h.info,
                    });
                }
                Ok(())
            }
            22 if self.document => Err(CborError::NullNotAllowed { offset: h.start }),
            20..=22 => Ok(()),
            24 => {
                let v = h.arg.unwrap_or(0);
                // Two-byte simple values below 32 are not well-formed (RFC 8949 §3.3).
                if v < 32 {
                    return Err(CborError::Malformed { offset: h.start });
                }
                if self.strict {
                    return Err(CborError::SimpleValueNotAllowed {
                        offset: h.start,
                        value: u8::try_from(v).unwrap_or(u8::MAX),
                    });
                }
                Ok(())
            }
            25..=27 => {
                if self.strict {
                    return Err(CborError::FloatNotAllowed { offset: h.start });
                }
                Ok(())
            }
            // Additional info 31 here is a break with no open indefinite item.
            _ => Err(CborError::Malformed { offset: h.start }),
        }
    }
}

/// Appends a CBOR head (RFC 8949 §3) of major type `major` (0 to 7) with
/// argument `arg` in its shortest form, as canonical CBOR requires
/// (§4.2.1): for the encoders that stream bytes by hand rather than build a
/// value tree.
///
/// ```
/// let mut out = Vec::new();
/// vouch_core::cbor::write_head(&mut out, 3, 5); // text string of 5 bytes
/// vouch_core::cbor::write_head(&mut out, 4, 500); // array of 500 items
/// assert_eq!(out, [0x65, 0x99, 0x01, 0xf4]);
/// ```
pub fn write_head(out: &mut Vec<u8>, major: u8, arg: u64) {
    let m = major << 5;
    if arg < 24 {
        out.push(m | arg as u8);
    } else if let Ok(a) = u8::try_from(arg) {
        out.extend_from_slice(&[m | 24, a]);
    } else if let Ok(a) = u16::try_from(arg) {
        out.push(m | 25);
        out.extend_from_slice(&a.to_be_bytes());
    } else if let Ok(a) = u32::try_from(arg) {
        out.push(m | 26);
        out.extend_from_slice(&a.to_be_bytes());
    } else {
        out.push(m | 27);
        out.extend_from_slice(&arg.to_be_bytes());
    }
}

/// Serde helper for `Vec<u8>` fields: a CBOR byte string (serde's default
/// would be an array of integers). Use as `#[serde(with = "vouch_core::cbor::byte_string")]`.
pub mod byte_string {
    use serde::{Deserializer, Serializer};

    /// Writes the bytes as one byte string.
    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(v)
    }

    /// Reads one byte string of any length.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Vec<u8>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a byte string")
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Vec<u8>, E> {
                Ok(v.to_vec())
            }
            fn visit_byte_buf<E: serde::de::Error>(self, v: Vec<u8>) -> Result<Vec<u8>, E> {
                Ok(v)
            }
        }
        // byte_buf, not bytes: ciborium serves `deserialize_bytes` from a
        // 4 KiB scratch buffer and refuses anything longer.
        d.deserialize_byte_buf(V)
    }
}

/// Serde for bytes that travel in CBOR and in human-edited JSON or TOML:
/// one byte string in CBOR, lowercase hex text in human-readable formats.
///
/// ```
/// #[derive(serde::Serialize, serde::Deserialize)]
/// struct Blob(#[serde(with = "vouch_core::cbor::hex_or_bytes")] Vec<u8>);
/// assert_eq!(serde_json::to_string(&Blob(vec![0xca, 0xfe])).unwrap(), "\"cafe\"");
/// ```
pub mod hex_or_bytes {
    use serde::{Deserializer, Serializer};

    use super::byte_string;

    /// Writes hex text (human-readable formats) or a byte string.
    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_str(&hex::encode(v))
        } else {
            byte_string::serialize(v, s)
        }
    }

    /// Reads what [`serialize`] writes.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        struct Hex;
        impl serde::de::Visitor<'_> for Hex {
            type Value = Vec<u8>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("hex text")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Vec<u8>, E> {
                hex::decode(v).map_err(E::custom)
            }
        }
        if d.is_human_readable() {
            d.deserialize_str(Hex)
        } else {
            byte_string::deserialize(d)
        }
    }
}

/// Encodes a serde value as canonical CBOR.
///
/// Map entries (including struct fields) are sorted by the bytes of their
/// encoded keys, integers and lengths take their shortest form, and the
/// result is checked by the strict validator before it is returned, so every
/// byte string this returns is accepted by [`from_canonical`].
pub fn to_canonical<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, CborError> {
    let v = Value::serialized(value).map_err(|e| CborError::Encode {
        reason: e.to_string(),
    })?;
    value_to_canonical(v)
}

/// Whether serializing `value` straight to CBOR (ciborium, no
/// [`ciborium::Value`] tree, no sorting) writes exactly `bytes`, compared
/// as it is written: no copy of the encoding is made, so checking a large
/// document costs no memory beyond the decoded value.
///
/// This is [`to_canonical`]`(value) == bytes` only for a type whose direct
/// encoding is canonical by construction: struct fields declared in
/// canonical key order (shorter names first, then bytewise), no maps with
/// keys in another order, no floats. A caller relies on that with a test
/// comparing the two for a full value of its type.
///
/// ```
/// #[derive(serde::Serialize)]
/// struct Doc {
///     id: u64,
///     name: String,
/// }
/// let doc = Doc { id: 7, name: "x".into() };
/// let canonical = vouch_core::cbor::to_canonical(&doc)?;
/// assert!(vouch_core::cbor::serializes_to(&doc, &canonical));
/// assert!(!vouch_core::cbor::serializes_to(&doc, &canonical[1..]));
/// # Ok::<(), vouch_core::cbor::CborError>(())
/// ```
pub fn serializes_to<T: Serialize + ?Sized>(value: &T, bytes: &[u8]) -> bool {
    /// Fails the write at the first byte that differs from what is left.
    struct Compare<'b> {
        rest: &'b [u8],
    }
    impl std::io::Write for Compare<'_> {
        fn write(&mut self, chunk: &[u8]) -> std::io::Result<usize> {
            match self.rest.strip_prefix(chunk) {
                Some(rest) => {
                    self.rest = rest;
                    Ok(chunk.len())
                }
                None => Err(std::io::ErrorKind::InvalidData.into()),
            }
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut out = Compare { rest: bytes };
    ciborium::into_writer(value, &mut out).is_ok() && out.rest.is_empty()
}

/// Encodes a [`ciborium::Value`] as canonical CBOR (see [`to_canonical`]).
pub fn value_to_canonical(value: Value) -> Result<Vec<u8>, CborError> {
    let v = canonicalize(value)?;
    let mut out = Vec::new();
    ciborium::into_writer(&v, &mut out).map_err(|e| CborError::Encode {
        reason: e.to_string(),
    })?;
    validate(
        &out,
        Strictness::Canonical,
        Limits {
            max_size: usize::MAX,
            max_depth: Limits::DEFAULT.max_depth,
        },
    )?;
    Ok(out)
}

fn canonicalize(v: Value) -> Result<Value, CborError> {
    Ok(match v {
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(canonicalize)
                .collect::<Result<_, _>>()?,
        ),
        Value::Tag(t, inner) => Value::Tag(t, Box::new(canonicalize(*inner)?)),
        Value::Map(entries) => {
            let mut keyed = Vec::with_capacity(entries.len());
            for (k, val) in entries {
                let k = canonicalize(k)?;
                let mut kb = Vec::new();
                ciborium::into_writer(&k, &mut kb).map_err(|e| CborError::Encode {
                    reason: e.to_string(),
                })?;
                keyed.push((kb, k, canonicalize(val)?));
            }
            keyed.sort_by(|a, b| a.0.cmp(&b.0));
            if keyed.windows(2).any(|w| w[0].0 == w[1].0) {
                return Err(CborError::Encode {
                    reason: "map has two equal keys".into(),
                });
            }
            Value::Map(keyed.into_iter().map(|(_, k, v)| (k, v)).collect())
        }
        Value::Float(_) => {
            return Err(CborError::Encode {
                reason: "floating-point values are not part of vouch's canonical CBOR".into(),
            });
        }
        other => other,
    })
}

/// Decodes canonical CBOR into a serde type with the default [`Limits`].
///
/// The bytes are first checked by [`validate`] in [`Strictness::Canonical`]
/// mode (one pass, no allocation), then decoded once.
pub fn from_canonical<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, CborError> {
    from_canonical_with_limits(bytes, Limits::DEFAULT)
}

/// [`from_canonical`] with explicit limits.
pub fn from_canonical_with_limits<T: DeserializeOwned>(
    bytes: &[u8],
    limits: Limits,
) -> Result<T, CborError> {
    validate(bytes, Strictness::Canonical, limits)?;
    decode_validated(bytes, limits)
}

/// Decodes bytes that [`validate`] already accepted in canonical mode, so a
/// caller that must look at the bytes between validation and decoding (see
/// [`map_text_field`]) does not validate twice. Bytes that were not
/// validated still never cause a panic, but may decode without being
/// canonical.
pub fn decode_validated<T: DeserializeOwned>(bytes: &[u8], limits: Limits) -> Result<T, CborError> {
    ciborium::de::from_reader_with_recursion_limit(bytes, limits.max_depth.saturating_add(1))
        .map_err(|e| match e {
            ciborium::de::Error::Semantic(offset, reason) => CborError::Schema { offset, reason },
            ciborium::de::Error::Syntax(offset) => CborError::Malformed { offset },
            ciborium::de::Error::RecursionLimitExceeded => CborError::TooDeep {
                offset: 0,
                limit: limits.max_depth,
            },
            ciborium::de::Error::Io(_) => CborError::Truncated {
                offset: bytes.len(),
            },
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_strings_are_seen_anywhere() {
        let seen = |v: &Value| {
            let bytes = to_canonical(v).unwrap();
            let (found, bytes_seen) =
                validate_map_text_field_seen(&bytes, "t", Strictness::Document, Limits::DEFAULT)
                    .unwrap();
            (found.map(str::to_owned), bytes_seen)
        };
        let text = Value::Map(vec![(Value::Text("t".into()), Value::Text("x".into()))]);
        assert_eq!(seen(&text), (Some("x".to_owned()), false));
        let nested = Value::Map(vec![
            (
                Value::Text("a".into()),
                Value::Array(vec![Value::Bytes(vec![1])]),
            ),
            (Value::Text("t".into()), Value::Text("x".into())),
        ]);
        assert_eq!(seen(&nested), (Some("x".to_owned()), true));
    }
    use proptest::prelude::*;

    fn canon(b: &[u8]) -> Result<(), CborError> {
        validate(b, Strictness::Canonical, Limits::DEFAULT)
    }

    #[test]
    fn refusals_name_their_offset() {
        // [ 24 encoded as 0x18 0x17 ] : non-shortest integer inside an array.
        assert_eq!(
            canon(&[0x81, 0x18, 0x17]),
            Err(CborError::NonShortestInteger { offset: 1 })
        );
        // bstr of length 1 with a one-byte length argument.
        assert_eq!(
            canon(&[0x58, 0x01, 0xaa]),
            Err(CborError::NonShortestLength { offset: 0 })
        );
        assert_eq!(
            canon(&[0x9f, 0xff]),
            Err(CborError::IndefiniteLength { offset: 0 })
        );
        // {2: 0, 1: 0}
        assert_eq!(
            canon(&[0xa2, 0x02, 0x00, 0x01, 0x00]),
            Err(CborError::UnsortedMapKeys { offset: 3 })
        );
        assert_eq!(
            canon(&[0xa2, 0x01, 0x00, 0x01, 0x00]),
            Err(CborError::DuplicateMapKey { offset: 3 })
        );
        assert_eq!(
            canon(&[0x00, 0x00]),
            Err(CborError::TrailingBytes { offset: 1 })
        );
        assert_eq!(
            canon(&[0xf9, 0x3c, 0x00]),
            Err(CborError::FloatNotAllowed { offset: 0 })
        );
        assert_eq!(
            canon(&[0xf7]),
            Err(CborError::SimpleValueNotAllowed {
                offset: 0,
                value: 23
            })
        );
        assert_eq!(
            canon(&[0x62, 0xff, 0xfe]),
            Err(CborError::InvalidUtf8 { offset: 0 })
        );
        assert_eq!(
            canon(&[0x5a, 0xff, 0xff, 0xff, 0xff]),
            Err(CborError::Truncated { offset: 0 })
        );
        assert_eq!(canon(&[0x1c]), Err(CborError::Malformed { offset: 0 }));
        assert_eq!(canon(&[0xff]), Err(CborError::Malformed { offset: 0 }));
        assert_eq!(
            canon(&[0xf8, 0x10]),
            Err(CborError::Malformed { offset: 0 })
        );
    }

    /// Found by the `cbor_validate` fuzz target: a bignum whose value fits
    /// in 64 bits passed as canonical, decoded (through ciborium) as a plain
    /// integer and re-encoded to other bytes.
    #[test]
    fn bignums_in_preferred_serialization_only() {
        let canon = |b: &[u8]| validate(b, Strictness::Canonical, Limits::DEFAULT);
        // The fuzzer's input: 16(2(2(2(h'c2d4')))); and 2(h'01'), 3(h''),
        // 2(h'00 01..') with a leading zero, 2 of eight bytes.
        let fuzzed = [0xd0, 0xc2, 0xc2, 0xc2, 0x42, 0xc2, 0xd4];
        assert_eq!(
            canon(&fuzzed),
            Err(CborError::NonShortestInteger { offset: 3 })
        );
        assert!(from_canonical::<Value>(&fuzzed).is_err());
        for bad in [
            &[0xc2, 0x41, 0x01][..],
            &[0xc3, 0x40],
            &[0xc2, 0x49, 0, 1, 2, 3, 4, 5, 6, 7, 8],
            &[0xc3, 0x48, 1, 2, 3, 4, 5, 6, 7, 8],
        ] {
            assert_eq!(
                canon(bad),
                Err(CborError::NonShortestInteger { offset: 0 }),
                "{bad:02x?}"
            );
            // Well-formed all the same.
            assert_eq!(
                validate(bad, Strictness::WellFormed, Limits::DEFAULT),
                Ok(())
            );
        }
        // 2^64, the smallest bignum that is not a plain integer, passes and
        // round-trips; so does a tag 2 of something else than bytes.
        let two_64 = [0xc2, 0x49, 1, 0, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(canon(&two_64), Ok(()));
        let v: Value = from_canonical(&two_64).unwrap();
        assert_eq!(value_to_canonical(v).unwrap(), two_64);
        assert_eq!(canon(&[0xc2, 0x61, b'a']), Ok(()));
    }

    #[test]
    fn document_profile() {
        let doc = |b: &[u8]| validate(b, Strictness::Document, Limits::DEFAULT);
        // {"a": 1} passes; {h'61': 1}, {1: 1}, a tag and a null do not.
        assert_eq!(doc(&[0xa1, 0x61, b'a', 0x01]), Ok(()));
        assert_eq!(
            doc(&[0xa1, 0x41, b'a', 0x01]),
            Err(CborError::NonTextMapKey { offset: 1 })
        );
        assert_eq!(
            doc(&[0xa1, 0x01, 0x01]),
            Err(CborError::NonTextMapKey { offset: 1 })
        );
        assert_eq!(
            doc(&[0xc1, 0x01]),
            Err(CborError::TagNotAllowed { offset: 0 })
        );
        assert_eq!(
            doc(&[0x81, 0xf6]),
            Err(CborError::NullNotAllowed { offset: 1 })
        );
        // Canonical rules still apply.
        assert_eq!(
            doc(&[0x18, 0x01]),
            Err(CborError::NonShortestInteger { offset: 0 })
        );
        assert_eq!(canon(&[0xa1, 0x01, 0xf6]), Ok(()));
    }

    #[test]
    fn text_field_lookup() {
        let bytes = to_canonical(
            &serde_json::json!({"a": [1, 2, {"x": "y"}], "predicateType": "uri:x", "z": "w"}),
        )
        .unwrap();
        assert_eq!(
            map_text_field(&bytes, "predicateType", Limits::DEFAULT),
            Ok(Some("uri:x"))
        );
        assert_eq!(map_text_field(&bytes, "a", Limits::DEFAULT), Ok(None));
        assert_eq!(map_text_field(&bytes, "missing", Limits::DEFAULT), Ok(None));
        assert!(
            map_text_field(&bytes[..bytes.len() - 1], "predicateType", Limits::DEFAULT).is_err()
        );
    }

    #[test]
    fn length_first_is_not_the_order() {
        // RFC 8949 §4.2.1 sorts by encoded bytes: "aa" (0x62..) after 1000 (0x19..)? 0x19 < 0x62.
        let ok = [0xa2, 0x19, 0x03, 0xe8, 0x00, 0x62, b'a', b'a', 0x00];
        assert_eq!(canon(&ok), Ok(()));
        // In length-first order "b" (2 bytes) would precede 1000 (3 bytes); bytewise it must not.
        let bad = [0xa2, 0x61, b'b', 0x00, 0x19, 0x03, 0xe8, 0x00];
        assert_eq!(canon(&bad), Err(CborError::UnsortedMapKeys { offset: 4 }));
    }

    #[test]
    fn depth_and_size_limits() {
        let deep = vec![0x81u8; 100];
        let mut deep = deep;
        deep.push(0x00);
        assert!(matches!(
            canon(&deep),
            Err(CborError::TooDeep { limit: 64, .. })
        ));
        let small = Limits {
            max_size: 4,
            max_depth: 8,
        };
        assert_eq!(
            validate(&[0x45, 1, 2, 3, 4, 5], Strictness::Canonical, small),
            Err(CborError::TooLarge { size: 6, limit: 4 })
        );
    }

    #[test]
    fn well_formed_mode_accepts_what_others_write() {
        let indefinite = [0x9f, 0x01, 0x5f, 0x41, 0x00, 0xff, 0xff];
        assert_eq!(
            validate(&indefinite, Strictness::WellFormed, Limits::DEFAULT),
            Ok(())
        );
        assert!(canon(&indefinite).is_err());
        assert_eq!(
            validate(
                &[0xa2, 0x02, 0x00, 0x01, 0x00],
                Strictness::WellFormed,
                Limits::DEFAULT
            ),
            Ok(())
        );
    }

    #[test]
    fn structs_are_sorted() {
        #[derive(Serialize, serde::Deserialize, PartialEq, Debug)]
        struct S {
            zz: u8,
            a: String,
        }
        let s = S {
            zz: 1,
            a: "x".into(),
        };
        let b = to_canonical(&s).unwrap();
        assert_eq!(b, [0xa2, 0x61, b'a', 0x61, b'x', 0x62, b'z', b'z', 0x01]);
        assert_eq!(from_canonical::<S>(&b).unwrap(), s);
        assert!(matches!(
            from_canonical::<S>(&[0xa0]),
            Err(CborError::Schema { .. })
        ));
        assert!(to_canonical(&1.5f64).is_err());
    }

    fn arb_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            any::<i64>().prop_map(|i| Value::Integer(i.into())),
            any::<u64>().prop_map(|i| Value::Integer(i.into())),
            proptest::collection::vec(any::<u8>(), 0..40).prop_map(Value::Bytes),
            ".{0,20}".prop_map(Value::Text),
            any::<bool>().prop_map(Value::Bool),
            Just(Value::Null),
        ];
        leaf.prop_recursive(4, 64, 8, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
                proptest::collection::vec((inner.clone(), inner.clone()), 0..8)
                    .prop_map(Value::Map),
                (0u64..100_000, inner).prop_map(|(t, v)| Value::Tag(t, Box::new(v))),
            ]
        })
    }

    proptest! {
        #[test]
        fn decode_of_encode_is_identity(v in arb_value()) {
            match to_canonical(&v) {
                Ok(bytes) => {
                    let back: Value = from_canonical(&bytes).unwrap();
                    // Encoding sorted the maps; re-encoding the decoded value gives the same bytes.
                    prop_assert_eq!(to_canonical(&back).unwrap(), bytes.clone());
                    let again: Value = from_canonical(&to_canonical(&back).unwrap()).unwrap();
                    prop_assert_eq!(again, back);
                }
                // Maps with two equal keys have no canonical form.
                Err(CborError::Encode { .. }) => {}
                Err(e) => prop_assert!(false, "unexpected {e}"),
            }
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            if let Ok(v) = from_canonical::<Value>(&bytes) {
                // Whatever decodes re-encodes to exactly the same bytes.
                prop_assert_eq!(to_canonical(&v).unwrap(), bytes.clone());
            }
            let _ = validate(&bytes, Strictness::WellFormed, Limits::DEFAULT);
            let _ = item_len(&bytes, Limits::DEFAULT);
        }

        #[test]
        fn one_pass_lookup_agrees(v in arb_value(), key in "[a-c]{0,2}", idx in any::<usize>(), byte in any::<u8>(), mutate in any::<bool>()) {
            let value = Value::Map(vec![(Value::Text(key.clone()), Value::Text("t".into())), (Value::Text("b".into()), v)]);
            if let Ok(mut bytes) = to_canonical(&value) {
                if mutate {
                    let i = idx % bytes.len();
                    bytes[i] = byte;
                }
                for strictness in [Strictness::Canonical, Strictness::Document, Strictness::WellFormed] {
                    let both = validate(&bytes, strictness, Limits::DEFAULT)
                        .and_then(|()| map_text_field(&bytes, &key, Limits::DEFAULT));
                    prop_assert_eq!(validate_map_text_field(&bytes, &key, strictness, Limits::DEFAULT), both);
                }
            }
        }

        #[test]
        fn map_field_finds_the_encoded_value(v in arb_value(), key in "[a-c]{1,2}", idx in any::<usize>(), byte in any::<u8>()) {
            let value = Value::Map(vec![(Value::Text("b".into()), Value::Integer(1.into())), (Value::Text(key.clone()), v.clone())]);
            if let Ok(bytes) = to_canonical(&value) {
                if key != "b" {
                    let expected = to_canonical(&v).unwrap();
                    prop_assert_eq!(map_field(&bytes, &key, Limits::DEFAULT), Ok(Some(&expected[..])));
                }
                prop_assert_eq!(map_field(&bytes, "zz", Limits::DEFAULT), Ok(None));
                let mut mutated = bytes.clone();
                let i = idx % mutated.len();
                mutated[i] = byte;
                let _ = map_field(&mutated, &key, Limits::DEFAULT);
                let _ = map_field(&bytes[..i], &key, Limits::DEFAULT);
            }
        }

        #[test]
        fn mutated_canonical_bytes_never_panic(v in arb_value(), idx in any::<usize>(), byte in any::<u8>()) {
            if let Ok(mut bytes) = to_canonical(&v) {
                let i = idx % bytes.len();
                bytes[i] = byte;
                if let Ok(d) = from_canonical::<Value>(&bytes) {
                    prop_assert_eq!(to_canonical(&d).unwrap(), bytes);
                }
            }
        }
    }
}
