//! The int8 vector of a unit as the join holds it (D = 128, 64-byte aligned so that a kernel reads
//! it in two aligned 512-bit loads) and the entry that carries it into a join: key, size, vector.

use super::contract::UnitKey;
use crate::model::VECTOR_DIMS;

/// A unit's characteristic vector, quantised to int8 at fingerprint time (ARCHITECTURE §3).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(C, align(64))]
pub struct Vector(pub [i8; VECTOR_DIMS]);

impl Vector {
    /// The zero vector: it matches nothing, which is what a free slot holds.
    pub const ZERO: Vector = Vector([0; VECTOR_DIMS]);

    /// The vector of a `VECTOR_DIMS`-long slice (the `vector` of a unit), `None` for another length.
    pub fn from_slice(components: &[i8]) -> Option<Vector> {
        components.try_into().ok().map(Vector)
    }

    /// The exact dot product, accumulated in i32 (it cannot overflow: see the contract's bounds).
    pub fn dot(&self, other: &Vector) -> i32 {
        self.0.iter().zip(other.0.iter()).map(|(&x, &y)| i32::from(x) * i32::from(y)).sum()
    }

    /// The squared norm `|v|²`.
    pub fn norm(&self) -> i32 {
        self.dot(self)
    }
}

impl std::fmt::Debug for Vector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Vector({:?})", &self.0[..])
    }
}

/// A unit as a join sees it: its key, its size in tokens (for the size-ratio bound) and its vector.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Entry {
    /// The unit's key.
    pub key: UnitKey,
    /// The unit's tokens.
    pub size: u32,
    /// The unit's vector.
    pub vector: Vector,
}
