//! vouch_package::Package::read of a gzip-compressed tar, as an npm
//! tarball (the `package/` directory stripped) and as a plain tar.gz.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vouch_package::Format;

fuzz_target!(init: vouch_fuzz::write_seeds(vouch_fuzz::package::tar_gz_seeds), |data: &[u8]| {
    vouch_fuzz::package::read(data, Format::Npm);
    vouch_fuzz::package::read(data, Format::TarGz);
});
