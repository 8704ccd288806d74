//! Storage URLs. (being written)
