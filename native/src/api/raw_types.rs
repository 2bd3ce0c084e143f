//! The TypeScript name of each type a raw binding may take or return. Shared
//! by the crate (argument errors name the expected type) and by build.rs
//! (which writes `native/raw.d.ts` from the same table), so the two agree.

/// A Rust type as TypeScript sees it across the raw boundary.
pub trait TsType {
    const TS: &'static str;
}

impl TsType for u32 {
    const TS: &'static str = "number";
}
impl TsType for i64 {
    const TS: &'static str = "number";
}
impl TsType for f64 {
    const TS: &'static str = "number";
}
impl TsType for bool {
    const TS: &'static str = "boolean";
}
/// A Buffer or any other Uint8Array (read only).
impl TsType for &[u8] {
    const TS: &'static str = "Uint8Array";
}
/// A Buffer or any other Uint8Array the callee writes into (a reply arena).
impl TsType for &mut [u8] {
    const TS: &'static str = "Uint8Array";
}
/// A command's arguments: a JS array of Buffers / Uint8Arrays (read only).
impl TsType for Argv<'_> {
    const TS: &'static str = "Uint8Array[]";
}
impl TsType for () {
    const TS: &'static str = "void";
}

/// A command's arguments as the engine reads them: views of the JS array's
/// Buffers, valid for the call (argv[0] is the command name).
#[allow(dead_code)] // read by the crate; build.rs only names it
pub struct Argv<'a>(pub Vec<&'a [u8]>);

/// `snake_case` as `camelCase` (argument names in the declarations).
pub fn camel(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = !out.is_empty();
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}
