//! Encodings Redis no longer writes but still loads: the ziplist (lists,
//! hashes, sorted sets and quicklist 1 nodes of RDB <= 9) and the zipmap
//! (hashes of Redis 2.x). Each is validated as Redis's deep sanitization
//! does and turned into a listpack of the same entries.
use crate::listpack::Listpack;

/// One ziplist/zipmap entry.
pub enum Item<'a> {
    Int(i64),
    Str(&'a [u8]),
}

fn push(lp: &mut Listpack, it: &Item) {
    match it {
        Item::Int(v) => lp.push_back_i64(*v),
        Item::Str(s) => lp.push_back(s),
    }
}

/// The entries of a ziplist (ziplistValidateIntegrity, deep): None when corrupt.
pub fn ziplist_items(z: &[u8]) -> Option<Vec<Item<'_>>> {
    const HEADER: usize = 10;
    if z.len() < HEADER + 1 || u32::from_le_bytes(z[0..4].try_into().ok()?) as usize != z.len() || z[z.len() - 1] != 0xFF {
        return None;
    }
    let tail = u32::from_le_bytes(z[4..8].try_into().ok()?) as usize;
    let count = u16::from_le_bytes([z[8], z[9]]);
    let end = z.len() - 1;
    let mut p = HEADER;
    let mut prev_len = 0usize;
    let mut last = HEADER;
    let mut items = Vec::new();
    while p < end {
        let start = p;
        // prevlen
        let pl = if z[p] < 254 {
            p += 1;
            z[p - 1] as usize
        } else if z[p] == 254 {
            let v = u32::from_le_bytes(z.get(p + 1..p + 5)?.try_into().ok()?) as usize;
            p += 5;
            v
        } else {
            return None;
        };
        if pl != prev_len {
            return None;
        }
        let enc = *z.get(p)?;
        let item = match enc >> 6 {
            0 => {
                let n = (enc & 0x3F) as usize;
                p += 1;
                Item::Str(take(z, &mut p, n)?)
            }
            1 => {
                let n = (((enc & 0x3F) as usize) << 8) | *z.get(p + 1)? as usize;
                p += 2;
                Item::Str(take(z, &mut p, n)?)
            }
            2 => {
                if enc != 0x80 {
                    return None;
                }
                let n = u32::from_be_bytes(z.get(p + 1..p + 5)?.try_into().ok()?) as usize;
                p += 5;
                Item::Str(take(z, &mut p, n)?)
            }
            _ => {
                p += 1;
                let (v, w) = match enc {
                    0xC0 => (i16::from_le_bytes(z.get(p..p + 2)?.try_into().ok()?) as i64, 2),
                    0xD0 => (i32::from_le_bytes(z.get(p..p + 4)?.try_into().ok()?) as i64, 4),
                    0xE0 => (i64::from_le_bytes(z.get(p..p + 8)?.try_into().ok()?), 8),
                    0xF0 => {
                        let b = z.get(p..p + 3)?;
                        ((i32::from_le_bytes([0, b[0], b[1], b[2]]) >> 8) as i64, 3)
                    }
                    0xFE => (*z.get(p)? as i8 as i64, 1),
                    0xF1..=0xFD => ((enc & 0x0F) as i64 - 1, 0),
                    _ => return None,
                };
                p += w;
                Item::Int(v)
            }
        };
        if p > end {
            return None;
        }
        items.push(item);
        prev_len = p - start;
        last = start;
    }
    if p != end || (!items.is_empty() && tail != last) || (items.is_empty() && tail != HEADER) {
        return None;
    }
    if count != u16::MAX && count as usize != items.len() {
        return None;
    }
    Some(items)
}

/// The `n` bytes at `*p`, moving past them.
fn take<'a>(z: &'a [u8], p: &mut usize, n: usize) -> Option<&'a [u8]> {
    let b = z.get(*p..p.checked_add(n)?)?;
    *p += n;
    Some(b)
}

/// A ziplist's entries as a listpack.
pub fn ziplist_to_listpack(z: &[u8]) -> Option<Listpack> {
    let items = ziplist_items(z)?;
    let mut lp = Listpack::new();
    for it in &items {
        push(&mut lp, it);
    }
    Some(lp)
}

/// The field/value pairs of a zipmap (zipmapValidateIntegrity, deep), as a
/// listpack of pairs: None when corrupt.
pub fn zipmap_to_listpack(z: &[u8]) -> Option<Listpack> {
    if z.len() < 2 || z[z.len() - 1] != 0xFF {
        return None;
    }
    let mut p = 1;
    let mut lp = Listpack::new();
    let mut n = 0usize;
    let len_at = |p: &mut usize| -> Option<usize> {
        let b = *z.get(*p)?;
        if b < 254 {
            *p += 1;
            Some(b as usize)
        } else if b == 254 {
            let v = u32::from_le_bytes(z.get(*p + 1..*p + 5)?.try_into().ok()?) as usize;
            *p += 5;
            Some(v)
        } else {
            None
        }
    };
    while *z.get(p)? != 0xFF {
        let kl = len_at(&mut p)?;
        let k = z.get(p..p.checked_add(kl)?)?;
        p += kl;
        let vl = len_at(&mut p)?;
        let free = *z.get(p)? as usize;
        p += 1;
        let v = z.get(p..p.checked_add(vl)?)?;
        p = p.checked_add(vl)?.checked_add(free)?;
        lp.push_back(k);
        lp.push_back(v);
        n += 1;
    }
    // An empty zipmap is refused as Redis's zipmapValidateIntegrity refuses it.
    if p != z.len() - 1 || n == 0 || (z[0] < 254 && z[0] as usize != n) {
        return None;
    }
    Some(lp)
}
