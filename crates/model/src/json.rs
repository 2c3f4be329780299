//! The API's documents read from JSON that is already parsed, and the one
//! document the SPA writes (the contact request).
//!
//! The SPA reads what the browser's `JSON.parse` made (its `json.rs`), and on
//! the host, when it renders pages, what serde_json made. So the wasm carries
//! no JSON parser and no serde: serde's derived readers, each instantiated
//! for serde_json, were some 80 KB of it before optimisation.
//!
//! Each document's shape is stated twice: by serde's derive (which the
//! content compiler writes with and the host reads with) and by `readable!`
//! here. Tests hold the two to the same answers, for every document of the
//! compiled site (crates/content) and for malformed ones (below).
//!
//! What `Read` accepts is what the derive accepts of the objects the API
//! writes: members in any order, unknown members ignored, a missing or null
//! `Option` as `None`, anything else missing or of another type refused.
//! Unlike the derive, it cannot see a member given twice (`JSON.parse` keeps
//! the last), and it takes a whole number written as `2.0` as an integer.

/// A parsed JSON value, as a reader needs it.
pub trait Json: Sized {
    /// The member `name` of an object; `None` when this is no object (an
    /// array is none) or has no such member.
    fn member(&self, name: &str) -> Option<Self>;
    fn is_null(&self) -> bool;
    fn string(&self) -> Option<String>;
    fn number(&self) -> Option<f64>;
    fn boolean(&self) -> Option<bool>;
    /// The items of an array.
    fn items(&self) -> Option<Vec<Self>>;
}

/// A value that can be read from JSON; `None` when it does not fit.
pub trait Read: Sized {
    fn read<J: Json>(v: &J) -> Option<Self>;

    /// The value of a member an object left out: none, but `None` for an `Option`.
    fn absent() -> Option<Self> {
        None
    }
}

/// The member `name` of the object `v`, as a `T`.
pub fn member<T: Read, J: Json>(v: &J, name: &str) -> Option<T> {
    match v.member(name) {
        Some(m) => T::read(&m),
        None => T::absent(),
    }
}

impl Read for String {
    fn read<J: Json>(v: &J) -> Option<Self> {
        v.string()
    }
}

impl Read for bool {
    fn read<J: Json>(v: &J) -> Option<Self> {
        v.boolean()
    }
}

/// A whole number in the range of the type: `2` and `2.0`, not `2.5`, `-1` or `"2"`.
fn whole(v: &impl Json, max: u64) -> Option<u64> {
    let n = v.number()?;
    (n >= 0.0 && n <= max as f64 && n.fract() == 0.0).then_some(n as u64)
}

macro_rules! read_unsigned {
    ($($t:ty),*) => {$(
        impl Read for $t {
            fn read<J: Json>(v: &J) -> Option<Self> {
                whole(v, <$t>::MAX as u64).map(|n| n as $t)
            }
        }
    )*};
}
read_unsigned!(u8, u16, u32, u64);

impl<T: Read> Read for Option<T> {
    fn read<J: Json>(v: &J) -> Option<Self> {
        if v.is_null() { Some(None) } else { T::read(v).map(Some) }
    }

    fn absent() -> Option<Self> {
        Some(None)
    }
}

impl<T: Read> Read for Vec<T> {
    fn read<J: Json>(v: &J) -> Option<Self> {
        v.items()?.iter().map(T::read).collect()
    }
}

/// How deep a document tree may nest when read: twice what the content
/// compiler writes (`MAX_NESTING` in crates/content). A deeper one, which
/// only a tampered document can be, is refused instead of read until the
/// stack runs out.
pub const MAX_DEPTH: u32 = 64;

thread_local! {
    static DEPTH: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// `read()`, counted as one level deeper in the tree; `None` past `MAX_DEPTH`.
pub fn nested<T>(read: impl FnOnce() -> Option<T>) -> Option<T> {
    let depth = DEPTH.with(|d| {
        d.set(d.get() + 1);
        d.get()
    });
    let out = if depth > MAX_DEPTH { None } else { read() };
    DEPTH.with(|d| d.set(d.get() - 1));
    out
}

/// `readable!(Type { field: "name", … })`: `Read` for a struct read from an
/// object, member by member. Every field of the struct is named once, or it
/// does not compile; a test compares the names with serde's.
macro_rules! readable {
    ($ty:ident { $($field:ident: $name:literal),* $(,)? }) => {
        impl $crate::json::Read for $ty {
            fn read<J: $crate::json::Json>(v: &J) -> Option<Self> {
                Some($ty { $($field: $crate::json::member(v, $name)?,)* })
            }
        }
    };
}
pub(crate) use readable;

/// `names!(Type { Variant: "name", … })`: `Read` for an enum of unit
/// variants, on the wire as their names.
macro_rules! names {
    ($ty:ident { $($variant:ident: $name:literal),* $(,)? }) => {
        impl $crate::json::Read for $ty {
            fn read<J: $crate::json::Json>(v: &J) -> Option<Self> {
                match v.string()?.as_str() {
                    $($name => Some($ty::$variant),)*
                    _ => None,
                }
            }
        }
    };
}
pub(crate) use names;

/// `s` as a JSON string, quoted and escaped as serde_json writes it, onto `out`.
pub fn quote(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c < ' ' => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(HEX[(c as usize) >> 4] as char);
                out.push(HEX[(c as usize) & 15] as char);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A JSON object written member by member, in the order given.
pub struct Object(String);

impl Object {
    pub fn new() -> Object {
        Object(String::from("{"))
    }

    fn key(&mut self, name: &str) {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        quote(name, &mut self.0);
        self.0.push(':');
    }

    pub fn string(mut self, name: &str, value: &str) -> Object {
        self.key(name);
        quote(value, &mut self.0);
        self
    }

    /// A string, or `null`.
    pub fn optional(mut self, name: &str, value: Option<&str>) -> Object {
        self.key(name);
        match value {
            Some(v) => quote(v, &mut self.0),
            None => self.0.push_str("null"),
        }
        self
    }

    pub fn boolean(mut self, name: &str, value: bool) -> Object {
        self.key(name);
        self.0.push_str(if value { "true" } else { "false" });
        self
    }

    /// JSON text written by another writer, as it is.
    pub fn raw(mut self, name: &str, json: &str) -> Object {
        self.key(name);
        self.0.push_str(json);
        self
    }

    pub fn finish(mut self) -> String {
        self.0.push('}');
        self.0
    }
}

impl Default for Object {
    fn default() -> Self {
        Object::new()
    }
}

/// serde_json's values, for the host: the SPA rendered on the server, and
/// tests. By reference, so reading a member copies nothing.
#[cfg(not(target_arch = "wasm32"))]
impl Json for &serde_json::Value {
    fn member(&self, name: &str) -> Option<Self> {
        self.as_object()?.get(name)
    }

    fn is_null(&self) -> bool {
        serde_json::Value::is_null(self)
    }

    fn string(&self) -> Option<String> {
        self.as_str().map(str::to_string)
    }

    fn number(&self) -> Option<f64> {
        self.as_f64()
    }

    fn boolean(&self) -> Option<bool> {
        self.as_bool()
    }

    fn items(&self) -> Option<Vec<Self>> {
        self.as_array().map(|a| a.iter().collect())
    }
}

/// `text` read as a `T` on the host (serde_json parses, `Read` reads).
#[cfg(not(target_arch = "wasm32"))]
pub fn from_str<T: Read>(text: &str) -> Option<T> {
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    T::read(&&value)
}

/// Reads `json` with `Read` and with serde's derive, and says whether they
/// agree: the same value, or both refuse it.
#[cfg(not(target_arch = "wasm32"))]
pub fn agree<T>(json: &str) -> Result<Option<T>, String>
where
    T: Read + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let by_serde = serde_json::from_str::<T>(json);
    let by_read = from_str::<T>(json);
    match (by_serde, by_read) {
        (Ok(a), Some(b)) if a == b => Ok(Some(a)),
        (Err(_), None) => Ok(None),
        (a, b) => Err(format!("serde read {a:?}, Read read {b:?}, from {json}")),
    }
}
