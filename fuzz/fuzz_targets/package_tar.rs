//! vouch_package::Package::read of an uncompressed tar: any bytes are
//! refused or give a manifest whose every path obeys the tree rules, with
//! the bounds of small limits (so a bomb is cut early).
#![no_main]

use libfuzzer_sys::fuzz_target;
use vouch_package::Format;

fuzz_target!(init: vouch_fuzz::write_seeds(vouch_fuzz::package::tar_seeds), |data: &[u8]| {
    vouch_fuzz::package::read(data, Format::Tar);
});
