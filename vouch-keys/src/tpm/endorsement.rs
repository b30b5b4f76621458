//! The TPM's side of an EK-certified enrollment: reading the endorsement
//! key's certificate, and TPM2_ActivateCredential, which releases an
//! enroller's secret only when the key's attestation key lives in the same
//! TPM as the certified EK (see `vouch_core::tpm::make_credential`).

use tss_esapi::abstraction::AsymmetricAlgorithmSelection;
use tss_esapi::abstraction::ek;
use tss_esapi::attributes::SessionAttributesBuilder;
use tss_esapi::constants::SessionType;
use tss_esapi::handles::{AuthHandle, KeyHandle, ObjectHandle, SessionHandle};
use tss_esapi::interface_types::algorithm::HashingAlgorithm;
use tss_esapi::interface_types::key_bits::RsaKeyBits;
use tss_esapi::interface_types::session_handles::{AuthSession, PolicySession};
use tss_esapi::structures::{EncryptedSecret, IdObject, Private, Public, SymmetricDefinition};
use tss_esapi::traits::UnMarshall as _;
use zeroize::Zeroizing;

use super::{
    TpmKey, bad_stub, connect, flushing, load, parse_public, tpm_err, untpm2b, with_primary,
};
use crate::error::Error;

/// The EK every certified TPM has: the TCG default RSA 2048 template,
/// whose certificate is in NV index 0x01c00002.
const EK: AsymmetricAlgorithmSelection = AsymmetricAlgorithmSelection::Rsa(RsaKeyBits::Rsa2048);

/// The largest EK certificate read, in bytes (they are about 1 KiB).
pub const MAX_EK_CERTIFICATE_LEN: usize = 16 * 1024;

/// The DER certificate of the RSA 2048 endorsement key of the TPM that
/// `tcti` names, as its manufacturer (or `swtpm_setup --create-ek-cert`)
/// stored it in NV index 0x01c00002, without the padding some TPMs leave
/// after the DER.
pub fn endorsement_certificate(tcti: &str) -> Result<Vec<u8>, Error> {
    let mut ctx = connect(tcti)?;
    let raw = ek::retrieve_ek_pubcert(&mut ctx, EK)
        .map_err(tpm_err("read the EK certificate (NV index 0x01c00002)"))?;
    certificate_in(&raw).map(<[u8]>::to_vec)
}

/// The DER certificate at the start of the NV index's bytes `raw`: its
/// declared length, refused when larger than [`MAX_EK_CERTIFICATE_LEN`]
/// (before anything past it is looked at) or than `raw`.
fn certificate_in(raw: &[u8]) -> Result<&[u8], Error> {
    let malformed = || Error::Tpm {
        what: "read the EK certificate (NV index 0x01c00002)",
        detail: format!(
            "its {} bytes do not start with a DER certificate",
            raw.len()
        ),
    };
    let len = der_len(raw).ok_or_else(malformed)?;
    if len > MAX_EK_CERTIFICATE_LEN {
        return Err(Error::EkCertificateTooLarge {
            size: len as u64,
            limit: MAX_EK_CERTIFICATE_LEN as u64,
        });
    }
    raw.get(..len).ok_or_else(malformed)
}

/// The length of the DER SEQUENCE at the start of `b` (tag, length and
/// contents), as its header declares it.
fn der_len(b: &[u8]) -> Option<usize> {
    let (&tag, rest) = b.split_first()?;
    if tag != 0x30 {
        return None;
    }
    let (&first, rest) = rest.split_first()?;
    let (header, contents) = match first {
        0..=0x7f => (2, usize::from(first)),
        0x81 => (3, usize::from(*rest.first()?)),
        0x82 => (
            4,
            usize::from(u16::from_be_bytes([*rest.first()?, *rest.get(1)?])),
        ),
        _ => return None,
    };
    Some(header + contents)
}

impl TpmKey {
    /// TPM2_ActivateCredential with this key's attestation key and the
    /// TPM's RSA 2048 EK: the credential an enroller made with
    /// `vouch_core::tpm::make_credential` for this AK's Name and this
    /// TPM's EK certificate. The TPM refuses (an error here) when either
    /// is another TPM's or another key's.
    ///
    /// `id_object` and `encrypted_secret` are the contents of the
    /// `TPM2B_ID_OBJECT` and `TPM2B_ENCRYPTED_SECRET`, without size
    /// prefixes.
    pub fn activate_credential(
        &self,
        id_object: &[u8],
        encrypted_secret: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, Error> {
        let stub = &self.stub_path;
        let template = Public::unmarshall(&self.stub.primary_template)
            .map_err(|e| bad_stub(stub, format!("primary_template: {e}")))?;
        let ak_public = parse_public(stub, "ak_public", &self.stub.ak_public)?;
        let ak_private =
            Private::try_from(untpm2b(stub, "ak_private", &self.stub.ak_private)?.to_vec())
                .map_err(|e| bad_stub(stub, format!("ak_private: {e}")))?;
        let blob = IdObject::try_from(id_object.to_vec()).map_err(|e| Error::Tpm {
            what: "read the credential challenge",
            detail: format!("credential blob: {e}"),
        })?;
        let secret =
            EncryptedSecret::try_from(encrypted_secret.to_vec()).map_err(|e| Error::Tpm {
                what: "read the credential challenge",
                detail: format!("encrypted secret: {e}"),
            })?;
        let mut ctx = connect(&self.tcti)?;
        // The AK outlives its parent once loaded; flushing the primary
        // first keeps two objects (AK, EK) in swtpm's three slots.
        let ak = with_primary(&mut ctx, template, |ctx, primary| {
            load(
                ctx,
                primary,
                ak_private,
                ak_public,
                "load the attestation key",
            )
        })?;
        let credential = flushing(&mut ctx, ak, |ctx| {
            let ek = ek::create_ek_object_2(ctx, EK, None)
                .map_err(tpm_err("create the endorsement key"))?;
            flushing(ctx, ek, |ctx| activate(ctx, ak, ek, blob, secret))
        })?;
        Ok(Zeroizing::new(credential))
    }
}

/// ActivateCredential with the AK (password authorization) and the EK,
/// whose TCG policy is PolicySecret(TPM_RH_ENDORSEMENT); the policy session
/// is flushed whatever happens.
fn activate(
    ctx: &mut tss_esapi::Context,
    ak: KeyHandle,
    ek: KeyHandle,
    blob: IdObject,
    secret: EncryptedSecret,
) -> Result<Vec<u8>, Error> {
    let session = ctx
        .start_auth_session(
            None,
            None,
            None,
            SessionType::Policy,
            SymmetricDefinition::AES_128_CFB,
            HashingAlgorithm::Sha256,
        )
        .map_err(tpm_err("start a policy session for the EK"))?
        .ok_or_else(|| Error::Tpm {
            what: "start a policy session for the EK",
            detail: "the TPM returned no session".into(),
        })?;
    let result = (|| {
        let (attributes, mask) = SessionAttributesBuilder::new().build();
        ctx.tr_sess_set_attributes(session, attributes, mask)
            .map_err(tpm_err("set the policy session's attributes"))?;
        let policy = PolicySession::try_from(session).map_err(tpm_err("use the policy session"))?;
        ctx.execute_with_session(Some(AuthSession::Password), |c| {
            c.policy_secret(
                policy,
                AuthHandle::Endorsement,
                Default::default(),
                Default::default(),
                Default::default(),
                None,
            )
        })
        .map_err(tpm_err(
            "satisfy the EK's policy (PolicySecret, endorsement)",
        ))?;
        ctx.execute_with_sessions((Some(AuthSession::Password), Some(session), None), |c| {
            c.activate_credential(ak, ek, blob, secret)
        })
        .map_err(tpm_err(
            "activate the credential (the challenge is for another TPM or another attestation key)",
        ))
    })();
    let flushed = ctx
        .flush_context(ObjectHandle::from(SessionHandle::from(session)))
        .map_err(tpm_err("flush the policy session"));
    let digest = result?;
    flushed?;
    Ok(digest.value().to_vec())
}

#[cfg(test)]
mod tests {
    use super::{Error, MAX_EK_CERTIFICATE_LEN, certificate_in};

    #[test]
    fn der_length_of_a_certificate_and_its_padding() {
        let mut cert = vec![0x30, 0x82, 0x01, 0x00];
        cert.extend(std::iter::repeat_n(7, 256));
        assert_eq!(certificate_in(&cert).unwrap().len(), 260);
        cert.extend_from_slice(&[0xff; 40]);
        assert_eq!(certificate_in(&cert).unwrap().len(), 260);
        for bad in [
            &cert[..200],
            &[0x31, 0x00][..],
            &[0x30, 0x84, 0, 0, 0, 1][..],
            &[][..],
        ] {
            assert!(matches!(certificate_in(bad), Err(Error::Tpm { .. })));
        }
    }

    /// A DER SEQUENCE of `len` bytes in all, followed by NV padding.
    fn sequence_of_len(len: usize) -> Vec<u8> {
        let contents = u16::try_from(len - 4).unwrap();
        let mut b = vec![0x30, 0x82];
        b.extend_from_slice(&contents.to_be_bytes());
        b.resize(len + 100, 0xff);
        b
    }

    #[test]
    fn max_ek_certificate_len() {
        let at = sequence_of_len(MAX_EK_CERTIFICATE_LEN);
        assert_eq!(certificate_in(&at).unwrap().len(), MAX_EK_CERTIFICATE_LEN);
        match certificate_in(&sequence_of_len(MAX_EK_CERTIFICATE_LEN + 1)) {
            Err(Error::EkCertificateTooLarge { size, limit }) => assert_eq!(
                (size, limit),
                (
                    MAX_EK_CERTIFICATE_LEN as u64 + 1,
                    MAX_EK_CERTIFICATE_LEN as u64
                )
            ),
            other => panic!("{other:?}"),
        }
    }
}
