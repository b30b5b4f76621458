//! vouch_package::Package::read of a zip (a wheel, a `.vsix`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use vouch_package::Format;

fuzz_target!(init: vouch_fuzz::write_seeds(vouch_fuzz::package::zip_seeds), |data: &[u8]| {
    vouch_fuzz::package::read(data, Format::Zip);
});
