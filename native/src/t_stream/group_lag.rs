//! A group's `entries-read` and lag (Redis 7's counters): exact while no
//! deleted entry lies ahead of the group, estimated from the stream's
//! counters otherwise (streamRangeHasTombstones,
//! streamEstimateDistanceFromFirstEverEntry, streamReplyWithCGLag).
use super::group::{Group, INVALID_ENTRIES_READ};
use super::{Id, Stream};

/// Whether an entry deleted by XDEL may lie in [start, end] (None: open).
pub fn range_has_tombstones(s: &Stream, start: Id, end: Option<Id>) -> bool {
    if s.length == 0 || s.max_deleted == Id::MIN || s.first_id > s.max_deleted {
        return false;
    }
    start <= s.max_deleted && s.max_deleted <= end.unwrap_or(Id::MAX)
}

/// How many entries were added up to `id` (INVALID_ENTRIES_READ when unknown).
pub fn estimate_distance(s: &Stream, id: Id) -> i64 {
    let added = s.entries_added as i64;
    if added == 0 {
        return 0;
    }
    if s.length == 0 && id <= s.last_id {
        return added;
    }
    if id == s.last_id {
        return added;
    } else if id > s.last_id {
        return INVALID_ENTRIES_READ;
    }
    if s.max_deleted == Id::MIN || s.max_deleted < s.first_id {
        if id < s.first_id {
            return added - s.length as i64;
        } else if id == s.first_id {
            return added - s.length as i64 + 1;
        }
    }
    INVALID_ENTRIES_READ
}

/// The group's lag, None when it cannot be known.
pub fn lag(s: &Stream, g: &Group) -> Option<i64> {
    let added = s.entries_added as i64;
    if added == 0 {
        return Some(0);
    }
    if g.entries_read != INVALID_ENTRIES_READ && !range_has_tombstones(s, g.last_id, None) {
        return Some(added - g.entries_read);
    }
    let read = estimate_distance(s, g.last_id);
    if read != INVALID_ENTRIES_READ {
        Some(added - read)
    } else {
        None
    }
}
