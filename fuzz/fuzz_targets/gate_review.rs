//! vouch_gate::review::decode and vouch_gate::workload::extract (the
//! AdmissionReview a webhook receives from the network): never panic, and
//! every image read is bounded and its digest, when pinned, round-trips.
#![no_main]

use libfuzzer_sys::fuzz_target;

const SEEDS: [&[u8]; 3] = [
    include_bytes!("../../vouch-gate/tests/fixtures/pod.json"),
    include_bytes!("../../vouch-gate/tests/fixtures/deployment.json"),
    include_bytes!("../../vouch-gate/tests/fixtures/cronjob.json"),
];

fuzz_target!(init: vouch_fuzz::write_seeds(|| SEEDS.iter().map(|s| s.to_vec()).collect()), |data: &[u8]| {
    let Ok(review) = vouch_gate::review::decode(data) else {
        return;
    };
    let _ = vouch_gate::review::respond(&review.request.uid, &vouch_gate::review::Decision {
        allowed: false,
        message: review.request.operation.clone(),
        warnings: Vec::new(),
    });
    let Some(object) = &review.request.object else {
        return;
    };
    let Ok(workload) = vouch_gate::workload::extract(&review.request.kind.kind, object, "app.kubernetes.io/name") else {
        return;
    };
    assert!(workload.images.len() <= vouch_gate::workload::MAX_CONTAINERS);
    for image in &workload.images {
        assert!(image.reference.len() <= vouch_gate::workload::MAX_IMAGE_BYTES);
        if let Ok(d) = &image.digest {
            assert_eq!(d.to_string().parse::<vouch_core::Digest>().as_ref(), Ok(d));
        }
    }
});
