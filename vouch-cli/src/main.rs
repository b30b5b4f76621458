//! The `vouch` command line: key generation, signing statements, git commit
//! signing, verification and explanation. It comes with its issue; for now it
//! only tells what it is.

fn main() {
    println!(
        "vouch {}: the command line arrives with its issue",
        env!("CARGO_PKG_VERSION")
    );
}
