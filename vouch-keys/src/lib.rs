//! Things that sign for vouch: file keys now; TPM 2.0 keys and FIDO2
//! authenticators come with their issues behind the `tpm` and `fido` features.
