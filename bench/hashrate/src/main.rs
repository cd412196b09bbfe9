use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use std::time::Instant;

fn main() {
    let secs: f64 = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(5.0);
    let a = Argon2::default();
    let salt = SaltString::encode_b64(b"roster-bench-salt").unwrap();
    let stored = a.hash_password(b"correct horse battery", &salt).unwrap().to_string();
    let parsed = PasswordHash::new(&stored).unwrap();
    // Warm up, then count verifies (what a login does) on this one thread.
    a.verify_password(b"correct horse battery", &parsed).unwrap();
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed().as_secs_f64() < secs {
        a.verify_password(b"correct horse battery", &parsed).unwrap();
        n += 1;
    }
    let el = start.elapsed().as_secs_f64();
    eprintln!("{stored}");
    println!("{{\"verifies\": {n}, \"seconds\": {el:.3}, \"per_second\": {:.2}, \"params\": \"{}\"}}", n as f64 / el, stored.split('$').nth(3).unwrap_or(""));
}
