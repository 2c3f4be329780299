//! Elements whose class is not a literal.
//!
//! `html!` makes every class but a literal a `Classes`: an ordered set of
//! words, hashed and deduplicated on each render. That set's code cost the
//! wasm 2 KB (brotli), and each such element (every link, every
//! highlighted token of code) an allocation. Our classes are whole strings
//! chosen from a few, so these elements carry them as they are: `html!`
//! makes the element without attributes, and `attrs` gives it them.

use std::rc::Rc;

use yew::AttrValue;
use yew::virtual_dom::{AttributeOrProperty, Attributes, VNode};

/// The element `node`, made by `html!` without attributes, with the
/// attributes `keys`, valued by `values` in the same order (`None`: left out).
pub fn attrs(
    mut node: VNode,
    keys: &'static [&'static str],
    values: Vec<Option<AttrValue>>,
) -> VNode {
    debug_assert_eq!(keys.len(), values.len(), "a value for each attribute");
    // Fresh from `html!`, so not shared: changed in place.
    if let VNode::VTag(tag) = &mut node
        && let Some(tag) = Rc::get_mut(tag)
    {
        tag.attributes = Attributes::Dynamic {
            keys,
            values: values
                .into_iter()
                .map(|v| v.map(AttributeOrProperty::Attribute))
                .collect(),
        };
    }
    node
}

/// The element `node` (made without attributes) with the class `class`.
pub fn classed(node: VNode, class: Option<&'static str>) -> VNode {
    attrs(node, &["class"], vec![class.map(AttrValue::Static)])
}
