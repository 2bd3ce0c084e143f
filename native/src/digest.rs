//! DEBUG DIGEST / DIGEST-VALUE: Redis's dataset fingerprint, bit for bit
//! (debug.c). Unordered things (keys, set members) are combined by XOR of
//! their SHA1s (`xor_digest`); ordered things (a key then its value, list
//! elements) by feeding the running digest back into SHA1 (`mix_digest`).
//! Each value type adds its own arm to `value_digest`.
use crate::keyspace::{Entry, Keyspace};
use crate::t_string;

pub type Digest = [u8; 20];

fn sha1(data: &[u8]) -> Digest {
    sha1_smol::Sha1::from(data).digest().bytes()
}

/// digest ^= SHA1(data)
pub fn xor_digest(digest: &mut Digest, data: &[u8]) {
    let h = sha1(data);
    for (d, x) in digest.iter_mut().zip(h.iter()) {
        *d ^= x;
    }
}

/// digest = SHA1(digest ^ SHA1(data))
pub fn mix_digest(digest: &mut Digest, data: &[u8]) {
    xor_digest(digest, data);
    *digest = sha1(digest);
}

/// Redis's OBJ_* type number of a value (not the RDB type id): `Kind` is numbered so.
fn obj_type(e: &Entry) -> u32 {
    e.value.kind() as u32
}

/// Mixes one value (its type, contents and whether it has an expire) into
/// `digest` (Redis's xorObjectDigest).
pub fn value_digest(digest: &mut Digest, e: &Entry) {
    mix_digest(digest, &obj_type(e).to_be_bytes());
    if t_string::is_string(&e.value) {
        t_string::with_bytes(&e.value, |b| mix_digest(digest, b));
    } else {
        e.value.digest_contents(digest);
    }
    if e.has_expire() {
        xor_digest(digest, b"!!expire!!");
    }
}

/// The digest of every database, logically expired keys included (computeDatasetDigest).
pub fn dataset_digest(ks: &Keyspace) -> Digest {
    let mut fin = [0u8; 20];
    for (j, db) in ks.dbs.iter().enumerate() {
        if db.dict.is_empty() {
            continue;
        }
        mix_digest(&mut fin, &(j as u32).to_be_bytes());
        for (k, e) in db.dict.iter() {
            let mut d = [0u8; 20];
            mix_digest(&mut d, k.as_slice());
            value_digest(&mut d, e);
            // Redis xors in SHA1(key-value digest), not the digest itself.
            xor_digest(&mut fin, &d);
        }
    }
    fin
}

pub fn hex(d: &Digest) -> String {
    let mut s = String::with_capacity(40);
    for b in d {
        s.push_str(&format!("{:02x}", b));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyspace::Value;
    use crate::sbytes::SBytes;

    #[test]
    fn empty_dataset_is_zero() {
        let k = Keyspace::new(2);
        assert_eq!(hex(&dataset_digest(&k)), "0".repeat(40));
    }

    #[test]
    fn order_free_and_encoding_free() {
        let mut a = Keyspace::new(2);
        a.set(0, b"x", Value::Int(12), -1);
        a.set(0, b"y", Value::Str(SBytes::new(b"hello")), -1);
        let mut b = Keyspace::new(2);
        b.set(0, b"y", Value::Raw(Box::new(b"hello".to_vec())), -1);
        b.set(0, b"x", Value::Str(SBytes::new(b"12")), -1);
        assert_eq!(dataset_digest(&a), dataset_digest(&b));
        // the same data in another db, or with an expire, differs
        let mut c = Keyspace::new(2);
        c.set(1, b"y", Value::Str(SBytes::new(b"hello")), -1);
        c.set(1, b"x", Value::Int(12), -1);
        assert_ne!(dataset_digest(&a), dataset_digest(&c));
        b.set_expire(0, b"x", i64::MAX / 2);
        assert_ne!(dataset_digest(&a), dataset_digest(&b));
    }

    #[test]
    fn known_value() {
        // SHA1("abc"), the FIPS 180 test vector, through xor_digest on zeros.
        let mut d = [0u8; 20];
        xor_digest(&mut d, b"abc");
        assert_eq!(hex(&d), "a9993e364706816aba3e25717850c26c9cd0d89d");
    }
}
