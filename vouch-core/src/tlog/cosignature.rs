//! C2SP `cosignature/v1` (<https://c2sp.org/tlog-cosignature>): a
//! witness's timestamped Ed25519 signature on a checkpoint.
//!
//! A cosignature is one more signature line on the checkpoint's note, of
//! signature type 0x04, so its key id is
//! `SHA-256(name || "\n" || 0x04 || key)[:4]` and never equals the id of
//! the same key used for plain note signatures. Its value is the 8-byte
//! big-endian time (seconds since the Unix epoch, at most 2⁶³ − 1) followed
//! by the 64-byte Ed25519 signature over
//!
//! ```text
//! cosignature/v1
//! time <the time in decimal, no leading zeroes>
//! <the checkpoint's note text, every line of it>
//! ```
//!
//! Verification is [`Note::verify`](super::Note::verify) with a
//! [`NoteVerifier::cosignature_v1`] key, which reports the time through
//! [`NoteSigner::cosigned_at`](super::NoteSigner::cosigned_at). The time is
//! the witness's claim that, by then, this tree head was the largest
//! consistent one it had seen; later times are not refused here (that is
//! the caller's freshness policy).

use super::TlogError;
use super::checkpoint::Checkpoint;
use super::note::{Note, NoteSignature, NoteVerifier, plain_ed25519};
use crate::signer::Signer;

/// The signature type byte of `cosignature/v1`.
pub const COSIGNATURE_V1_TYPE: u8 = 0x04;

/// The bytes a `cosignature/v1` signs: the header line, the time line and
/// the checkpoint's note text.
pub fn signed_message(timestamp: u64, checkpoint_text: &[u8]) -> Vec<u8> {
    let mut m = format!("cosignature/v1\ntime {timestamp}\n").into_bytes();
    m.extend_from_slice(checkpoint_text);
    m
}

/// Cosigns the checkpoint in `note` as the witness `name`, at `timestamp`
/// (seconds since the Unix epoch), with an Ed25519 `signer`. The note's
/// text must be a checkpoint.
pub fn cosign<S: Signer + ?Sized>(
    note: &mut Note,
    name: &str,
    signer: &S,
    timestamp: u64,
) -> Result<(), TlogError> {
    if timestamp > i64::MAX as u64 {
        return Err(TlogError::CosignatureTime(timestamp));
    }
    Checkpoint::from_text(note.unverified_text())?;
    let verifier = NoteVerifier::cosignature_v1(name, signer.public_key())?;
    let message = signed_message(timestamp, note.unverified_text().as_bytes());
    let mut value = timestamp.to_be_bytes().to_vec();
    value.extend_from_slice(&plain_ed25519(signer, &message)?);
    note.push_signature(NoteSignature::new(name, verifier.key_id(), value)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PublicKey;
    use crate::tlog::note::tests::ed;
    use crate::tlog::note::{NoteVerifier, key_id};
    use base64::Engine as _;

    /// The example of the specification, whose keys are not published:
    /// its structure (key id, 8-byte time, 64-byte signature) is what is
    /// checked.
    #[test]
    fn spec_example_structure() {
        let line = "jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==";
        let raw = base64::engine::general_purpose::STANDARD
            .decode(line)
            .unwrap();
        assert_eq!(raw.len(), 4 + 8 + 64);
        assert_eq!(
            u64::from_be_bytes(raw[4..12].try_into().unwrap()),
            1679315147
        );
        assert_eq!(
            signed_message(1679315147, b"example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"),
            b"cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
        );
    }

    #[test]
    fn cosign_and_verify() {
        let (log, w) = (ed(1), ed(2));
        let cp = Checkpoint::new("example.com/log", 5, [3; 32]).unwrap();
        let mut note = cp.sign(&log).unwrap();
        cosign(&mut note, "witness.example", &w, 1_700_000_000).unwrap();
        let vlog = NoteVerifier::ed25519("example.com/log", log.public_key()).unwrap();
        let vw = NoteVerifier::cosignature_v1("witness.example", w.public_key()).unwrap();
        assert_eq!(
            vw.key_id(),
            key_id("witness.example", 0x04, w.public_key().point())
        );
        let verified =
            Checkpoint::verify(&note.to_bytes(), &vlog, std::slice::from_ref(&vw)).unwrap();
        let times: Vec<_> = verified.cosignatures().map(|s| s.cosigned_at()).collect();
        assert_eq!(times, [Some(1_700_000_000)]);
        // The witness's key as a plain note key does not match the line.
        let plain = NoteVerifier::ed25519("witness.example", w.public_key()).unwrap();
        let verified = Checkpoint::verify(&note.to_bytes(), &vlog, &[plain]).unwrap();
        assert_eq!(verified.cosignatures().count(), 0);
        // The time is signed: change it and the cosignature fails.
        let mut sigs = note.signatures().to_vec();
        let mut value = sigs[1].value().to_vec();
        value[7] ^= 1;
        sigs[1] = NoteSignature::new("witness.example", vw.key_id(), value).unwrap();
        let mut tampered = Note::new(note.unverified_text()).unwrap();
        for s in sigs {
            tampered.push_signature(s).unwrap();
        }
        assert!(matches!(
            Checkpoint::verify(&tampered.to_bytes(), &vlog, std::slice::from_ref(&vw)),
            Err(TlogError::BadSignature { .. })
        ));
        assert!(cosign(&mut note, "w", &w, u64::MAX).is_err());
        let mut not_a_checkpoint = Note::new("hello\n").unwrap();
        assert!(cosign(&mut not_a_checkpoint, "w", &w, 1).is_err());
        let _: &PublicKey = w.public_key();
    }

    #[test]
    fn time_above_i64_refused() {
        let (log, w) = (ed(1), ed(2));
        let cp = Checkpoint::new("o", 1, [0; 32]).unwrap();
        let mut note = cp.sign(&log).unwrap();
        let vw = NoteVerifier::cosignature_v1("w", w.public_key()).unwrap();
        let mut value = u64::MAX.to_be_bytes().to_vec();
        value.extend_from_slice(&[0; 64]);
        note.push_signature(NoteSignature::new("w", vw.key_id(), value).unwrap())
            .unwrap();
        let vlog = NoteVerifier::ed25519("o", log.public_key()).unwrap();
        assert!(matches!(
            Checkpoint::verify(&note.to_bytes(), &vlog, &[vw]),
            Err(TlogError::CosignatureTime(u64::MAX))
        ));
    }
}
