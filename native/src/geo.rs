//! Geo (Redis's geo.c, geohash.c, geohash_helper.c): points are members of a
//! sorted set whose score is the 52-bit interleaved geohash of their
//! longitude and latitude (26 bits each, latitude limited to Mercator's
//! ±85.05112878). Searches look at the 9 geohash boxes around the centre at a
//! step chosen from the radius, filter by exact distance (haversine on
//! Redis's Earth radius), and sort by distance on request.
use crate::changes::Event;
use crate::command::Cmd;
use crate::keyspace::{Keyspace, Value};
use crate::reply::{code, err, Out};
use crate::t_string::Ttl;
use crate::t_zset::ZSet;
use crate::util::parse_i64;

// ---- geohash (geohash.c) ----

const STEP_MAX: u8 = 26;
const LAT_MIN: f64 = -85.05112878;
const LAT_MAX: f64 = 85.05112878;
const LONG_MIN: f64 = -180.0;
const LONG_MAX: f64 = 180.0;

#[derive(Clone, Copy, PartialEq, Debug, Default)]
struct Hash {
    bits: u64,
    step: u8,
}

impl Hash {
    fn is_zero(&self) -> bool {
        self.bits == 0 && self.step == 0
    }
}

#[derive(Clone, Copy)]
struct Range {
    min: f64,
    max: f64,
}

#[derive(Clone, Copy, Default, Debug)]
struct Area {
    lon_min: f64,
    lon_max: f64,
    lat_min: f64,
    lat_max: f64,
}

const WGS84: (Range, Range) = (Range { min: LONG_MIN, max: LONG_MAX }, Range { min: LAT_MIN, max: LAT_MAX });

/// Interleaves the bits of x and y: x in the even bits, y in the odd ones.
fn interleave64(x: u32, y: u32) -> u64 {
    fn spread(v: u32) -> u64 {
        let mut v = v as u64;
        v = (v | (v << 16)) & 0x0000_FFFF_0000_FFFF;
        v = (v | (v << 8)) & 0x00FF_00FF_00FF_00FF;
        v = (v | (v << 4)) & 0x0F0F_0F0F_0F0F_0F0F;
        v = (v | (v << 2)) & 0x3333_3333_3333_3333;
        v = (v | (v << 1)) & 0x5555_5555_5555_5555;
        v
    }
    spread(x) | (spread(y) << 1)
}

/// The inverse of `interleave64`: the even bits in the low half, the odd ones in the high half.
fn deinterleave64(v: u64) -> u64 {
    fn squash(mut v: u64) -> u64 {
        v &= 0x5555_5555_5555_5555;
        v = (v | (v >> 1)) & 0x3333_3333_3333_3333;
        v = (v | (v >> 2)) & 0x0F0F_0F0F_0F0F_0F0F;
        v = (v | (v >> 4)) & 0x00FF_00FF_00FF_00FF;
        v = (v | (v >> 8)) & 0x0000_FFFF_0000_FFFF;
        v = (v | (v >> 16)) & 0x0000_0000_FFFF_FFFF;
        v
    }
    squash(v) | (squash(v >> 1) << 32)
}

/// Redis's geohashEncode: None outside the WGS84 limits or the ranges.
fn encode(ranges: (Range, Range), lon: f64, lat: f64, step: u8) -> Option<Hash> {
    let (lon_r, lat_r) = ranges;
    if step > 32 || step == 0 {
        return None;
    }
    if !(LONG_MIN..=LONG_MAX).contains(&lon) || !(LAT_MIN..=LAT_MAX).contains(&lat) {
        return None;
    }
    if lat < lat_r.min || lat > lat_r.max || lon < lon_r.min || lon > lon_r.max {
        return None;
    }
    let scale = (1u64 << step) as f64;
    let lat_off = (lat - lat_r.min) / (lat_r.max - lat_r.min) * scale;
    let lon_off = (lon - lon_r.min) / (lon_r.max - lon_r.min) * scale;
    Some(Hash { bits: interleave64(lat_off as u32, lon_off as u32), step })
}

/// Redis's geohashDecode over the WGS84 ranges: the cell of `hash`.
fn decode(hash: Hash) -> Option<Area> {
    if hash.is_zero() {
        return None;
    }
    let (lon_r, lat_r) = WGS84;
    let sep = deinterleave64(hash.bits);
    let ilat = sep as u32 as f64;
    let ilon = (sep >> 32) as u32 as f64;
    let div = (1u64 << hash.step) as f64;
    let lat_scale = lat_r.max - lat_r.min;
    let lon_scale = lon_r.max - lon_r.min;
    Some(Area {
        lat_min: lat_r.min + (ilat * 1.0 / div) * lat_scale,
        lat_max: lat_r.min + ((ilat + 1.0) * 1.0 / div) * lat_scale,
        lon_min: lon_r.min + (ilon * 1.0 / div) * lon_scale,
        lon_max: lon_r.min + ((ilon + 1.0) * 1.0 / div) * lon_scale,
    })
}

/// The centre of a cell, clamped to the WGS84 limits.
fn area_center(a: &Area) -> [f64; 2] {
    let lon = ((a.lon_min + a.lon_max) / 2.0).clamp(LONG_MIN, LONG_MAX);
    let lat = ((a.lat_min + a.lat_max) / 2.0).clamp(LAT_MIN, LAT_MAX);
    [lon, lat]
}

/// A score as C converts a double to uint64_t on x86-64 (scores of members
/// GEOADD did not write may be anything): cvttsd2si, whose out-of-range
/// answer is i64::MIN, with 2^63 taken off first for large values.
fn score_bits(score: f64) -> u64 {
    const TWO63: f64 = 9_223_372_036_854_775_808.0;
    let cvtt = |x: f64| if (-TWO63..TWO63).contains(&x) { x as i64 } else { i64::MIN };
    if score < TWO63 {
        cvtt(score) as u64
    } else {
        (cvtt(score - TWO63) as u64) ^ (1u64 << 63)
    }
}

/// Redis's decodeGeohash: the longitude and latitude a member's score stands for.
fn decode_score(score: f64) -> Option<[f64; 2]> {
    decode(Hash { bits: score_bits(score), step: STEP_MAX }).map(|a| area_center(&a))
}

/// The score GEOADD gives a position.
fn score_of(lon: f64, lat: f64) -> Option<u64> {
    encode(WGS84, lon, lat, STEP_MAX).map(align52)
}

fn align52(h: Hash) -> u64 {
    h.bits << (52 - h.step as u32 * 2)
}

fn move_x(h: &mut Hash, d: i8) {
    if d == 0 {
        return;
    }
    let mut x = h.bits & 0xaaaa_aaaa_aaaa_aaaa;
    let y = h.bits & 0x5555_5555_5555_5555;
    let zz = 0x5555_5555_5555_5555u64 >> (64 - h.step as u32 * 2);
    if d > 0 {
        x = x.wrapping_add(zz + 1);
    } else {
        x |= zz;
        x = x.wrapping_sub(zz + 1);
    }
    x &= 0xaaaa_aaaa_aaaa_aaaau64 >> (64 - h.step as u32 * 2);
    h.bits = x | y;
}

fn move_y(h: &mut Hash, d: i8) {
    if d == 0 {
        return;
    }
    let x = h.bits & 0xaaaa_aaaa_aaaa_aaaa;
    let mut y = h.bits & 0x5555_5555_5555_5555;
    let zz = 0xaaaa_aaaa_aaaa_aaaau64 >> (64 - h.step as u32 * 2);
    if d > 0 {
        y = y.wrapping_add(zz + 1);
    } else {
        y |= zz;
        y = y.wrapping_sub(zz + 1);
    }
    y &= 0x5555_5555_5555_5555u64 >> (64 - h.step as u32 * 2);
    h.bits = x | y;
}

/// The 8 cells around `h`, in Redis's order: north, south, east, west,
/// north-east, north-west, south-east, south-west.
fn neighbors(h: Hash) -> [Hash; 8] {
    let at = |dx: i8, dy: i8| {
        let mut n = h;
        move_x(&mut n, dx);
        move_y(&mut n, dy);
        n
    };
    [at(0, 1), at(0, -1), at(1, 0), at(-1, 0), at(1, 1), at(-1, 1), at(1, -1), at(-1, -1)]
}

// ---- geohash_helper.c ----

const D_R: f64 = std::f64::consts::PI / 180.0;
const EARTH_RADIUS_IN_METERS: f64 = 6372797.560856;
const MERCATOR_MAX: f64 = 20037726.37;

fn deg_rad(a: f64) -> f64 {
    a * D_R
}
fn rad_deg(a: f64) -> f64 {
    a / D_R
}

/// The geohash step whose cells are about the size of the radius.
fn estimate_steps_by_radius(mut range: f64, lat: f64) -> u8 {
    if range == 0.0 {
        return 26;
    }
    let mut step: i32 = 1;
    while range < MERCATOR_MAX {
        range *= 2.0;
        step += 1;
    }
    step -= 2;
    if !(-66.0..=66.0).contains(&lat) {
        step -= 1;
        if !(-80.0..=80.0).contains(&lat) {
            step -= 1;
        }
    }
    step.clamp(1, 26) as u8
}

fn lat_distance(lat1: f64, lat2: f64) -> f64 {
    EARTH_RADIUS_IN_METERS * (deg_rad(lat2) - deg_rad(lat1)).abs()
}

/// The haversine distance in meters (Redis's geohashGetDistance).
pub fn distance(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let lon1r = deg_rad(lon1);
    let lon2r = deg_rad(lon2);
    let v = ((lon2r - lon1r) / 2.0).sin();
    if v == 0.0 {
        return lat_distance(lat1, lat2);
    }
    let lat1r = deg_rad(lat1);
    let lat2r = deg_rad(lat2);
    let u = ((lat2r - lat1r) / 2.0).sin();
    let a = u * u + lat1r.cos() * lat2r.cos() * v * v;
    2.0 * EARTH_RADIUS_IN_METERS * a.sqrt().asin()
}

#[derive(Clone, Copy)]
enum ShapeKind {
    Circle { radius: f64 },
    Rect { width: f64, height: f64 },
}

/// The search area: centre (lon, lat), size in the request's unit, and the
/// unit's size in meters.
#[derive(Clone, Copy)]
struct Shape {
    xy: [f64; 2],
    conversion: f64,
    kind: ShapeKind,
}

impl Shape {
    /// [min lon, min lat, max lon, max lat] around the shape (geohashBoundingBox).
    fn bounds(&self) -> [f64; 4] {
        let [lon, lat] = self.xy;
        let (h, w) = match self.kind {
            ShapeKind::Circle { radius } => (radius, radius),
            ShapeKind::Rect { width, height } => (height / 2.0, width / 2.0),
        };
        let height = self.conversion * h;
        let width = self.conversion * w;
        let lat_delta = rad_deg(height / EARTH_RADIUS_IN_METERS);
        let lon_delta_top = rad_deg(width / EARTH_RADIUS_IN_METERS / deg_rad(lat + lat_delta).cos());
        let lon_delta_bottom = rad_deg(width / EARTH_RADIUS_IN_METERS / deg_rad(lat - lat_delta).cos());
        let south = lat < 0.0;
        let d = if south { lon_delta_bottom } else { lon_delta_top };
        [lon - d, lat - lat_delta, lon + d, lat + lat_delta]
    }

    /// Whether a point is inside, and its distance from the centre in meters (geoWithinShape).
    fn contains(&self, xy: [f64; 2]) -> Option<f64> {
        let [x1, y1] = self.xy;
        let [x2, y2] = xy;
        match self.kind {
            ShapeKind::Circle { radius } => {
                let d = distance(x1, y1, x2, y2);
                (d <= radius * self.conversion).then_some(d)
            }
            ShapeKind::Rect { width, height } => {
                let (w, h) = (width * self.conversion, height * self.conversion);
                if lat_distance(y2, y1) > h / 2.0 || distance(x2, y2, x1, y2) > w / 2.0 {
                    return None;
                }
                Some(distance(x1, y1, x2, y2))
            }
        }
    }

    /// The 9 cells to search, centre first, zeroed where a neighbour is not
    /// needed (geohashCalculateAreasByShapeWGS84).
    fn cells(&self) -> [Hash; 9] {
        let [min_lon, min_lat, max_lon, max_lat] = self.bounds();
        let [lon, lat] = self.xy;
        let radius = match self.kind {
            ShapeKind::Circle { radius } => radius,
            ShapeKind::Rect { width, height } => ((width / 2.0) * (width / 2.0) + (height / 2.0) * (height / 2.0)).sqrt(),
        } * self.conversion;
        let mut steps = estimate_steps_by_radius(radius, lat);
        let mut hash = encode(WGS84, lon, lat, steps).unwrap_or_default();
        let mut n = neighbors(hash);
        let mut area = decode(hash).unwrap_or_default();
        // Cells too small to cover the box with their neighbours: one step coarser.
        let d = |h: Hash| decode(h).unwrap_or_default();
        let decrease = d(n[0]).lat_max < max_lat || d(n[1]).lat_min > min_lat || d(n[2]).lon_max < max_lon || d(n[3]).lon_min > min_lon;
        if steps > 1 && decrease {
            steps -= 1;
            hash = encode(WGS84, lon, lat, steps).unwrap_or_default();
            n = neighbors(hash);
            area = decode(hash).unwrap_or_default();
        }
        // Neighbours wholly outside the bounding box are not searched.
        if steps >= 2 {
            let zero = |n: &mut [Hash; 8], idx: &[usize]| idx.iter().for_each(|&i| n[i] = Hash::default());
            if area.lat_min < min_lat {
                zero(&mut n, &[1, 7, 6]);
            }
            if area.lat_max > max_lat {
                zero(&mut n, &[0, 4, 5]);
            }
            if area.lon_min < min_lon {
                zero(&mut n, &[3, 7, 5]);
            }
            if area.lon_max > max_lon {
                zero(&mut n, &[2, 6, 4]);
            }
        }
        [hash, n[0], n[1], n[2], n[3], n[4], n[5], n[6], n[7]]
    }
}

// ---- the sorted set underneath (t_zset.rs) ----

/// A member's score.
fn zscore(z: &ZSet, member: &[u8]) -> Option<f64> {
    z.score(member)
}

/// Members with min <= score < max, ascending (score, then member), until
/// `f` returns false. With `may_stop` the range is read in growing batches,
/// so that an early stop (COUNT ... ANY) reads little of a large range.
fn zrange(z: &ZSet, min: f64, max: f64, may_stop: bool, mut f: impl FnMut(&[u8], f64) -> bool) {
    let r = crate::skiplist::ScoreRange { min, max, minex: false, maxex: true };
    if !may_stop {
        z.range_by_score(&r, 0, -1, false, |m, s| {
            f(m, s);
        });
        return;
    }
    let (mut offset, mut batch) = (0i64, 64i64);
    let mut more = true;
    while more {
        let got = z.range_by_score(&r, offset, batch, false, |m, s| {
            if more {
                more = f(m, s);
            }
        });
        if (got as i64) < batch {
            return;
        }
        offset += batch;
        batch *= 2;
    }
}

/// A sorted set from distinct (member, score) pairs, encoded as Redis would (listpack when small).
fn zbuild(pairs: Vec<(Vec<u8>, f64)>) -> ZSet {
    ZSet::from_pairs(pairs)
}

// ---- replies ----

/// A distance as Redis writes it: fixed point, 4 decimals (addReplyDoubleDistance).
fn fmt_distance(d: f64) -> String {
    let v = (d * 10000.0).round_ties_even() as i64;
    let (neg, u) = (v < 0, v.unsigned_abs());
    format!("{}{}.{:04}", if neg { "-" } else { "" }, u / 10000, u % 10000)
}

/// A coordinate as Redis's addReplyHumanLongDouble writes it: 17 decimals,
/// trailing zeros dropped; a bulk in RESP2, a double in RESP3.
fn reply_coord(out: &mut Out, v: f64) {
    let mut s = format!("{:.17}", v);
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    if s == "-0" {
        s = "0".into();
    }
    if out.resp3 {
        out.raw(b",");
        out.raw(s.as_bytes());
        out.raw(b"\r\n");
    } else {
        out.bulk(s.as_bytes());
    }
}

// ---- arguments ----

fn is_word(a: &[u8], w: &str) -> bool {
    let a = match a.iter().position(|&b| b == 0) {
        Some(n) => &a[..n],
        None => a,
    };
    a.eq_ignore_ascii_case(w.as_bytes())
}

/// Redis's string2d (getDoubleFromObject).
fn parse_double(a: &[u8]) -> Option<f64> {
    crate::util::strtod::string2d(a)
}

/// Longitude then latitude, checked against the limits (extractLongLatOrReply).
fn lon_lat(argv: &[&[u8]]) -> Result<[f64; 2], String> {
    let mut xy = [0.0; 2];
    for i in 0..2 {
        xy[i] = parse_double(argv[i]).ok_or_else(|| err::NOT_FLOAT.to_string())?;
    }
    if !(LONG_MIN..=LONG_MAX).contains(&xy[0]) || !(LAT_MIN..=LAT_MAX).contains(&xy[1]) {
        return Err(format!("ERR invalid longitude,latitude pair {:.6},{:.6}", xy[0], xy[1]));
    }
    Ok(xy)
}

/// A unit's size in meters (extractUnitOrReply).
fn unit(a: &[u8]) -> Result<f64, String> {
    Ok(match () {
        _ if is_word(a, "m") => 1.0,
        _ if is_word(a, "km") => 1000.0,
        _ if is_word(a, "ft") => 0.3048,
        _ if is_word(a, "mi") => 1609.34,
        _ => return Err("ERR unsupported unit provided. please use M, KM, FT, MI".into()),
    })
}

/// `radius unit` (extractDistanceOrReply): (radius, conversion).
fn radius_arg(argv: &[&[u8]]) -> Result<(f64, f64), String> {
    let r = parse_double(argv[0]).ok_or("ERR need numeric radius")?;
    if r < 0.0 {
        return Err("ERR radius cannot be negative".into());
    }
    Ok((r, unit(argv[1])?))
}

/// `width height unit` (extractBoxOrReply): (width, height, conversion).
fn box_arg(argv: &[&[u8]]) -> Result<(f64, f64, f64), String> {
    let w = parse_double(argv[0]).ok_or("ERR need numeric width")?;
    let h = parse_double(argv[1]).ok_or("ERR need numeric height")?;
    if h < 0.0 || w < 0.0 {
        return Err("ERR height or width cannot be negative".into());
    }
    Ok((w, h, unit(argv[2])?))
}

// ---- commands ----

fn zset_of<'a>(ks: &'a mut Keyspace, db: usize, key: &[u8]) -> Result<Option<&'a ZSet>, ()> {
    match ks.lookup_read(db, key) {
        None => Ok(None),
        Some(e) => match &e.value {
            Value::ZSet(z) => Ok(Some(z)),
            _ => Err(()),
        },
    }
}

/// GEOADD key [NX|XX] [CH] longitude latitude member [...]: ZADD with the
/// geohashes as scores, run and propagated as that ZADD (as Redis does).
fn geoadd_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let (mut nx, mut xx) = (false, false);
    let mut first = 2;
    while first < argv.len() {
        let o = argv[first];
        if is_word(o, "nx") {
            nx = true;
        } else if is_word(o, "xx") {
            xx = true;
        } else if !is_word(o, "ch") {
            break;
        }
        first += 1;
    }
    if !(argv.len() - first).is_multiple_of(3) || (xx && nx) {
        return out.error(err::SYNTAX);
    }
    let mut scores: Vec<Vec<u8>> = Vec::new();
    for t in argv[first..].chunks(3) {
        let xy = match lon_lat(t) {
            Ok(xy) => xy,
            Err(e) => return out.error(&e),
        };
        let bits = score_of(xy[0], xy[1]).unwrap_or(0);
        scores.push(bits.to_string().into_bytes());
    }
    let mut zargv: Vec<&[u8]> = vec![b"zadd"];
    zargv.extend_from_slice(&argv[1..first]);
    for (t, s) in argv[first..].chunks(3).zip(&scores) {
        zargv.push(s);
        zargv.push(t[2]);
    }
    static ZADD: std::sync::OnceLock<Option<crate::command::CmdFn>> = std::sync::OnceLock::new();
    let Some(zadd) = *ZADD.get_or_init(|| crate::command::table().iter().find(|c| c.name == "zadd").map(|c| c.f)) else {
        return out.error("ERR ZADD is not available");
    };
    ks.rewriting(|ks| zadd(ks, db, &zargv, out), |ks| ks.also_propagate(db, &zargv))
}

/// GEOPOS key [member ...]
fn geopos_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let Ok(z) = zset_of(ks, db, argv[1]) else { return out.error(err::WRONGTYPE) };
    out.array(argv.len() - 2);
    for m in &argv[2..] {
        match z.and_then(|z| zscore(z, m)).and_then(decode_score) {
            None => out.null_array(),
            Some([lon, lat]) => {
                out.array(2);
                reply_coord(out, lon);
                reply_coord(out, lat);
            }
        }
    }
    code::WRITTEN
}

/// GEODIST key member1 member2 [M|KM|FT|MI]
fn geodist_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let to_meters = match argv.len() {
        5 => match unit(argv[4]) {
            Ok(u) => u,
            Err(e) => return out.error(&e),
        },
        4 => 1.0,
        _ => return out.error(err::SYNTAX),
    };
    let z = match zset_of(ks, db, argv[1]) {
        Err(()) => return out.error(err::WRONGTYPE),
        Ok(None) => return code::NIL,
        Ok(Some(z)) => z,
    };
    let (Some(s1), Some(s2)) = (zscore(z, argv[2]), zscore(z, argv[3])) else { return code::NIL };
    let (Some(a), Some(b)) = (decode_score(s1), decode_score(s2)) else { return code::NIL };
    out.bulk(fmt_distance(distance(a[0], a[1], b[0], b[1]) / to_meters).as_bytes());
    code::WRITTEN
}

/// GEOHASH key [member ...]: standard 11-character geohashes (re-encoded
/// over latitudes ±90).
fn geohash_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    const ALPHABET: &[u8] = b"0123456789bcdefghjkmnpqrstuvwxyz";
    let Ok(z) = zset_of(ks, db, argv[1]) else { return out.error(err::WRONGTYPE) };
    out.array(argv.len() - 2);
    for m in &argv[2..] {
        let Some([lon, lat]) = z.and_then(|z| zscore(z, m)).and_then(decode_score) else {
            out.null();
            continue;
        };
        let std = (Range { min: -180.0, max: 180.0 }, Range { min: -90.0, max: 90.0 });
        let bits = encode(std, lon, lat, 26).map_or(0, |h| h.bits);
        let mut buf = [0u8; 11];
        for (i, c) in buf.iter_mut().enumerate() {
            let idx = if i == 10 { 0 } else { (bits >> (52 - (i + 1) * 5)) & 0x1f };
            *c = ALPHABET[idx as usize];
        }
        out.bulk(&buf);
    }
    code::WRITTEN
}

/// Which command of the search family runs (Redis's georadiusGeneric flags).
#[derive(Clone, Copy, PartialEq)]
enum Search {
    Radius { ro: bool },
    ByMember { ro: bool },
    /// GEOSEARCH.
    Plain,
    /// GEOSEARCHSTORE.
    Store,
}

struct Point {
    lon: f64,
    lat: f64,
    dist: f64,
    score: f64,
    member: Vec<u8>,
}

/// The members of the 9 cells inside the shape, in cell then score order,
/// stopping at `limit` (ANY) when it is not 0 (membersOfAllNeighbors).
fn points_in_shape(z: &ZSet, shape: &Shape, limit: usize) -> Vec<Point> {
    let cells = shape.cells();
    let mut found: Vec<Point> = Vec::new();
    let mut last: Option<Hash> = None;
    for cell in cells {
        if cell.is_zero() {
            continue;
        }
        // Huge radii can give equal neighbours: each cell is searched once in a row.
        if last == Some(cell) {
            continue;
        }
        if limit > 0 && found.len() >= limit {
            break;
        }
        let min = align52(cell);
        let max = align52(Hash { bits: cell.bits + 1, step: cell.step });
        zrange(z, min as f64, max as f64, limit > 0, |m, score| {
            if let Some(xy) = decode_score(score) {
                if let Some(dist) = shape.contains(xy) {
                    found.push(Point { lon: xy[0], lat: xy[1], dist, score, member: m.to_vec() });
                }
            }
            limit == 0 || found.len() < limit
        });
        last = Some(cell);
    }
    found
}

/// Redis's pqsort (Bentley and McIlroy's quicksort that only recurses into
/// the parts overlapping elements `lrange..=rrange`): those end up sorted, in
/// the order Redis leaves equal elements, which a stable sort would not give.
fn pqsort<T>(v: &mut [T], cmp: &impl Fn(&T, &T) -> i32, lrange: usize, rrange: usize) {
    let outside = |start: usize, len: usize| (lrange < start && rrange < start) || (lrange >= start + len && rrange >= start + len);
    let med3 = |v: &[T], a: usize, b: usize, c: usize| {
        if cmp(&v[a], &v[b]) < 0 {
            if cmp(&v[b], &v[c]) < 0 {
                b
            } else if cmp(&v[a], &v[c]) < 0 {
                c
            } else {
                a
            }
        } else if cmp(&v[b], &v[c]) > 0 {
            b
        } else if cmp(&v[a], &v[c]) < 0 {
            a
        } else {
            c
        }
    };
    fn vecswap<T>(v: &mut [T], a: usize, b: usize, n: usize) {
        for i in 0..n {
            v.swap(a + i, b + i);
        }
    }
    fn run<T>(v: &mut [T], mut a: usize, mut n: usize, cmp: &impl Fn(&T, &T) -> i32, med3: &impl Fn(&[T], usize, usize, usize) -> usize, outside: &impl Fn(usize, usize) -> bool) {
        loop {
            if n < 7 {
                for pm in a + 1..a + n {
                    let mut pl = pm;
                    while pl > a && cmp(&v[pl - 1], &v[pl]) > 0 {
                        v.swap(pl, pl - 1);
                        pl -= 1;
                    }
                }
                return;
            }
            let mut pm = a + n / 2;
            if n > 7 {
                let mut pl = a;
                let mut pn = a + n - 1;
                if n > 40 {
                    let d = n / 8;
                    pl = med3(v, pl, pl + d, pl + 2 * d);
                    pm = med3(v, pm - d, pm, pm + d);
                    pn = med3(v, pn - 2 * d, pn - d, pn);
                }
                pm = med3(v, pl, pm, pn);
            }
            v.swap(a, pm);
            let (mut pa, mut pb) = (a + 1, a + 1);
            let (mut pc, mut pd) = (a + n - 1, a + n - 1);
            loop {
                while pb <= pc {
                    let c = cmp(&v[pb], &v[a]);
                    if c > 0 {
                        break;
                    }
                    if c == 0 {
                        v.swap(pa, pb);
                        pa += 1;
                    }
                    pb += 1;
                }
                while pb <= pc {
                    let c = cmp(&v[pc], &v[a]);
                    if c < 0 {
                        break;
                    }
                    if c == 0 {
                        v.swap(pc, pd);
                        pd -= 1;
                    }
                    pc -= 1;
                }
                if pb > pc {
                    break;
                }
                v.swap(pb, pc);
                pb += 1;
                pc -= 1;
            }
            let pn = a + n;
            let r = (pa - a).min(pb - pa);
            vecswap(v, a, pb - r, r);
            let r = (pd - pc).min(pn - pd - 1);
            vecswap(v, pb, pn - r, r);
            let r = pb - pa;
            if r > 1 && !outside(a, r) {
                run(v, a, r, cmp, med3, outside);
            }
            let r = pd - pc;
            if r > 1 {
                a = pn - r;
                n = r;
                if !outside(a, n) {
                    continue;
                }
            }
            return;
        }
    }
    let n = v.len();
    run(v, 0, n, cmp, &med3, &outside);
}

/// GEORADIUS, GEORADIUSBYMEMBER (and _RO), GEOSEARCH, GEOSEARCHSTORE.
fn search_generic(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out, kind: Search) -> i64 {
    let src = if kind == Search::Store { 2 } else { 1 };
    let zref = match zset_of(ks, db, argv[src]) {
        Err(()) => return out.error(err::WRONGTYPE),
        Ok(z) => z,
    };
    let mut shape = Shape { xy: [0.0; 2], conversion: 1.0, kind: ShapeKind::Circle { radius: 0.0 } };
    let mut storekey: Option<&[u8]> = None;
    let mut storedist = false;
    let base;
    match kind {
        Search::Radius { .. } => {
            base = 6;
            match lon_lat(&argv[2..4]) {
                Ok(xy) => shape.xy = xy,
                Err(e) => return out.error(&e),
            }
            match radius_arg(&argv[4..6]) {
                Ok((r, c)) => {
                    shape.kind = ShapeKind::Circle { radius: r };
                    shape.conversion = c;
                }
                Err(e) => return out.error(&e),
            }
        }
        Search::ByMember { .. } => {
            base = 5;
            if let Some(zs) = zref {
                match zscore(zs, argv[2]).and_then(decode_score) {
                    Some(xy) => shape.xy = xy,
                    None => return out.error("ERR could not decode requested zset member"),
                }
                match radius_arg(&argv[3..5]) {
                    Ok((r, c)) => {
                        shape.kind = ShapeKind::Circle { radius: r };
                        shape.conversion = c;
                    }
                    Err(e) => return out.error(&e),
                }
            }
        }
        Search::Plain => base = 2,
        Search::Store => {
            base = 3;
            storekey = Some(argv[1]);
        }
    }
    let geosearch = matches!(kind, Search::Plain | Search::Store);
    let nostore = matches!(kind, Search::Radius { ro: true } | Search::ByMember { ro: true });
    let (mut withdist, mut withhash, mut withcoords) = (false, false, false);
    let (mut frommember, mut fromloc, mut byradius, mut bybox) = (false, false, false, false);
    #[derive(PartialEq)]
    enum Sort {
        None,
        Asc,
        Desc,
    }
    let mut sort = Sort::None;
    let mut any = false;
    let mut count: i64 = 0;
    let rest = &argv[base.min(argv.len())..];
    let mut i = 0;
    while i < rest.len() {
        let a = rest[i];
        let left = rest.len() - i - 1;
        if is_word(a, "withdist") {
            withdist = true;
        } else if is_word(a, "withhash") {
            withhash = true;
        } else if is_word(a, "withcoord") {
            withcoords = true;
        } else if is_word(a, "any") {
            any = true;
        } else if is_word(a, "asc") {
            sort = Sort::Asc;
        } else if is_word(a, "desc") {
            sort = Sort::Desc;
        } else if is_word(a, "count") && left >= 1 {
            let Some(n) = parse_i64(rest[i + 1]) else { return out.error(err::NOT_INT) };
            if n <= 0 {
                return out.error("ERR COUNT must be > 0");
            }
            count = n;
            i += 1;
        } else if (is_word(a, "store") || is_word(a, "storedist")) && left >= 1 && !nostore && !geosearch {
            storekey = Some(rest[i + 1]);
            storedist = is_word(a, "storedist");
            i += 1;
        } else if is_word(a, "storedist") && kind == Search::Store {
            storedist = true;
        } else if is_word(a, "frommember") && left >= 1 && geosearch && !fromloc {
            if let Some(zs) = zref {
                match zscore(zs, rest[i + 1]).and_then(decode_score) {
                    Some(xy) => shape.xy = xy,
                    None => return out.error("ERR could not decode requested zset member"),
                }
            }
            frommember = true;
            i += 1;
        } else if is_word(a, "fromlonlat") && left >= 2 && geosearch && !frommember {
            match lon_lat(&rest[i + 1..i + 3]) {
                Ok(xy) => shape.xy = xy,
                Err(e) => return out.error(&e),
            }
            fromloc = true;
            i += 2;
        } else if is_word(a, "byradius") && left >= 2 && geosearch && !bybox {
            match radius_arg(&rest[i + 1..i + 3]) {
                Ok((r, c)) => {
                    shape.kind = ShapeKind::Circle { radius: r };
                    shape.conversion = c;
                }
                Err(e) => return out.error(&e),
            }
            byradius = true;
            i += 2;
        } else if is_word(a, "bybox") && left >= 3 && geosearch && !byradius {
            match box_arg(&rest[i + 1..i + 4]) {
                Ok((w, h, c)) => {
                    shape.kind = ShapeKind::Rect { width: w, height: h };
                    shape.conversion = c;
                }
                Err(e) => return out.error(&e),
            }
            bybox = true;
            i += 3;
        } else {
            return out.error(err::SYNTAX);
        }
        i += 1;
    }
    if storekey.is_some() && (withdist || withhash || withcoords) {
        let who = if kind == Search::Store { "GEOSEARCHSTORE" } else { "STORE option in GEORADIUS" };
        return out.error(&format!("ERR {who} is not compatible with WITHDIST, WITHHASH and WITHCOORD options"));
    }
    let name = String::from_utf8_lossy(argv[0].split(|&b| b == 0).next().unwrap_or(&[])).into_owned();
    if geosearch && !(frommember || fromloc) {
        return out.error(&format!("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for {name}"));
    }
    if geosearch && !(byradius || bybox) {
        return out.error(&format!("ERR exactly one of BYRADIUS and BYBOX can be specified for {name}"));
    }
    if any && count == 0 {
        return out.error("ERR the ANY argument requires COUNT argument");
    }
    let Some(zs) = zref else {
        match storekey {
            Some(k) => {
                ks.delete(db, k);
                out.int(0);
            }
            None => out.array(0),
        }
        return code::WRITTEN;
    };
    if count != 0 && sort == Sort::None && !any {
        sort = Sort::Asc;
    }
    let mut found = points_in_shape(zs, &shape, if any { count as usize } else { 0 });
    if found.is_empty() && storekey.is_none() {
        out.array(0);
        return code::WRITTEN;
    }
    let returned = if count == 0 { found.len() } else { found.len().min(count as usize) };
    if sort != Sort::None {
        let desc = sort == Sort::Desc;
        let cmp = |a: &Point, b: &Point| {
            let c = if a.dist > b.dist { 1 } else if a.dist == b.dist { 0 } else { -1 };
            if desc {
                -c
            } else {
                c
            }
        };
        if returned == found.len() {
            // glibc's qsort (a merge sort) keeps equal distances in their found order.
            found.sort_by(|a, b| cmp(a, b).cmp(&0));
        } else {
            pqsort(&mut found, &cmp, 0, returned - 1);
        }
    }
    found.truncate(returned);
    for p in &mut found {
        p.dist /= shape.conversion;
    }
    let Some(dest) = storekey else {
        let opts = withdist as usize + withcoords as usize + withhash as usize;
        out.array(found.len());
        for p in &found {
            if opts > 0 {
                out.array(opts + 1);
            }
            out.bulk(&p.member);
            if withdist {
                out.bulk(fmt_distance(p.dist).as_bytes());
            }
            if withhash {
                out.int(p.score as i64);
            }
            if withcoords {
                out.array(2);
                reply_coord(out, p.lon);
                reply_coord(out, p.lat);
            }
        }
        return code::WRITTEN;
    };
    if returned > 0 {
        let pairs = found.into_iter().map(|p| (p.member, if storedist { p.dist } else { p.score })).collect();
        ks.store_str(db, dest, Value::ZSet(zbuild(pairs)), Ttl::Clear);
        ks.changed(db, dest, if geosearch { Event::GeoSearchStore } else { Event::GeoRadiusStore });
        ks.add_dirty(returned as u64 - 1);
    } else {
        ks.delete(db, dest);
    }
    out.int(returned as i64);
    code::WRITTEN
}

fn georadius_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    search_generic(ks, db, argv, out, Search::Radius { ro: false })
}
fn georadius_ro_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    search_generic(ks, db, argv, out, Search::Radius { ro: true })
}
fn georadiusbymember_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    search_generic(ks, db, argv, out, Search::ByMember { ro: false })
}
fn georadiusbymember_ro_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    search_generic(ks, db, argv, out, Search::ByMember { ro: true })
}
fn geosearch_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    search_generic(ks, db, argv, out, Search::Plain)
}
fn geosearchstore_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    search_generic(ks, db, argv, out, Search::Store)
}

/// The geo commands the engine runs (command.rs registers them).
pub const COMMANDS: &[Cmd] = &[
    Cmd { name: "geoadd", f: geoadd_cmd },
    Cmd { name: "geopos", f: geopos_cmd },
    Cmd { name: "geodist", f: geodist_cmd },
    Cmd { name: "geohash", f: geohash_cmd },
    Cmd { name: "georadius", f: georadius_cmd },
    Cmd { name: "georadius_ro", f: georadius_ro_cmd },
    Cmd { name: "georadiusbymember", f: georadiusbymember_cmd },
    Cmd { name: "georadiusbymember_ro", f: georadiusbymember_ro_cmd },
    Cmd { name: "geosearch", f: geosearch_cmd },
    Cmd { name: "geosearchstore", f: geosearchstore_cmd },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interleave_round_trips() {
        let mut s = 0x1234_5678_9abc_def1u64;
        for _ in 0..1000 {
            let v = crate::keyspace::next_rand(&mut s);
            let (x, y) = (v as u32, (v >> 32) as u32);
            let i = interleave64(x, y);
            assert_eq!(deinterleave64(i), x as u64 | (y as u64) << 32);
        }
        assert_eq!(interleave64(1, 0), 1);
        assert_eq!(interleave64(0, 1), 2);
    }

    #[test]
    fn scores_as_redis() {
        // GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania (Redis's docs).
        assert_eq!(score_of(13.361389, 38.115556), Some(3479099956230698));
        assert_eq!(score_of(15.087269, 37.502669), Some(3479447370796909));
        let p = decode_score(3479099956230698.0).unwrap();
        assert_eq!(format!("{:.17}", p[0]), "13.36138933897018433");
        assert_eq!(format!("{:.17}", p[1]), "38.11555639549629859");
        let c = decode_score(3479447370796909.0).unwrap();
        assert_eq!(fmt_distance(distance(p[0], p[1], c[0], c[1])), "166274.1516");
        assert_eq!(fmt_distance(distance(p[0], p[1], c[0], c[1]) / 1000.0), "166.2742");
    }

    #[test]
    fn pqsort_sorts_the_asked_range() {
        let mut seed = 7u64;
        for n in [1usize, 5, 7, 8, 30, 41, 200, 1000] {
            for _ in 0..20 {
                let mut v: Vec<u32> = (0..n).map(|_| (crate::keyspace::next_rand(&mut seed) % 50) as u32).collect();
                let mut sorted = v.clone();
                sorted.sort();
                let k = (crate::keyspace::next_rand(&mut seed) as usize) % n;
                pqsort(&mut v, &|a: &u32, b: &u32| (*a as i32) - (*b as i32), 0, k);
                assert_eq!(v[..=k], sorted[..=k], "n {n} k {k}");
            }
        }
    }

    #[test]
    fn steps_and_distance_format() {
        assert_eq!(estimate_steps_by_radius(0.0, 0.0), 26);
        assert_eq!(estimate_steps_by_radius(200_000.0, 10.0), 6);
        assert_eq!(fmt_distance(0.0), "0.0000");
        assert_eq!(fmt_distance(0.00004), "0.0000");
        assert_eq!(fmt_distance(12.34567), "12.3457");
        assert_eq!(fmt_distance(-1.5), "-1.5000");
    }
}
