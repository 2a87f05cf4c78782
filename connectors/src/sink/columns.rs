//! Building blocks of the table schemas and the columns of their record batches, in the types
//! every reader takes (see `tables`).

use super::Update;
use crate::rows::CloneUnit;
use anyhow::{bail, Context};
use arrow_array::{
    ArrayRef, BinaryArray, FixedSizeListArray, Float64Array, Int32Array, Int64Array, Int8Array, RecordBatch,
    StringArray,
};
use arrow_schema::{DataType, Field, FieldRef, Schema, SchemaRef};
use cpt_operators::model::{ContentId, VECTOR_DIMS};
use std::sync::Arc;

/// `time` and `diff`, then `columns`.
pub(super) fn changelog_schema(columns: Vec<Field>) -> SchemaRef {
    let mut fields = vec![int64("time"), int64("diff")];
    fields.extend(columns);
    Arc::new(Schema::new(fields))
}

/// A non-null Int64 column.
pub(super) fn int64(name: &str) -> Field {
    Field::new(name, DataType::Int64, false)
}

/// A non-null Int32 column.
pub(super) fn int32(name: &str) -> Field {
    Field::new(name, DataType::Int32, false)
}

/// A non-null Float64 column.
pub(super) fn float64(name: &str) -> Field {
    Field::new(name, DataType::Float64, false)
}

/// A non-null Utf8 column.
pub(super) fn text(name: &str) -> Field {
    Field::new(name, DataType::Utf8, false)
}

/// `path` (lossy UTF-8) and `path_raw` (exact bytes, NULL when `path` is exact).
pub(super) fn path_fields() -> Vec<Field> {
    path_fields_named("path")
}

/// `NAME` (lossy UTF-8) and `NAME_raw` (exact bytes, NULL when `NAME` is exact).
pub(super) fn path_fields_named(name: &str) -> Vec<Field> {
    vec![text(name), Field::new(format!("{name}_raw"), DataType::Binary, true)]
}

/// The element field of `vector`.
pub(super) fn vector_item() -> FieldRef {
    Arc::new(Field::new("item", DataType::Int8, false))
}

/// FixedSizeList<Int8, 128>.
pub(super) fn vector_type() -> DataType {
    DataType::FixedSizeList(vector_item(), VECTOR_DIMS as i32)
}

/// The columns of a [`CloneUnit`] (as [`Columns::clone_unit`] appends them), each name followed by `suffix`.
pub(super) fn clone_unit_fields(suffix: &str) -> Vec<Field> {
    let named = |name: &str| format!("{name}{suffix}");
    let mut fields = vec![int64(&named("unit_key"))];
    fields.extend(path_fields_named(&named("path")));
    fields.extend([text(&named("lang")), text(&named("kind")), text(&named("name"))]);
    fields.extend([int32(&named("start_line")), int32(&named("end_line")), int32(&named("tokens"))]);
    fields
}

/// The columns of a batch under construction, filled left to right from the updates' rows.
pub(super) struct Columns<'a, R> {
    updates: &'a [Update<R>],
    arrays: Vec<ArrayRef>,
}

impl<'a, R> Columns<'a, R> {
    /// Starts a batch with its `time` and `diff` columns.
    pub(super) fn new(updates: &'a [Update<R>]) -> anyhow::Result<Self> {
        let times = updates
            .iter()
            .map(|u| i64::try_from(u.time).with_context(|| format!("time {} exceeds Int64", u.time)))
            .collect::<anyhow::Result<Vec<i64>>>()?;
        let diffs: Vec<i64> = updates.iter().map(|u| u.diff).collect();
        Ok(Columns { updates, arrays: vec![Arc::new(Int64Array::from(times)), Arc::new(Int64Array::from(diffs))] })
    }

    /// Appends one column.
    pub(super) fn push(mut self, array: ArrayRef) -> Self {
        self.arrays.push(array);
        self
    }

    /// Appends an Int64 column.
    pub(super) fn int64(self, value: impl Fn(&R) -> i64) -> Self {
        let array = Int64Array::from_iter_values(self.updates.iter().map(|u| value(&u.row)));
        self.push(Arc::new(array))
    }

    /// Appends a nullable Int64 column.
    pub(super) fn optional_int64(self, value: impl Fn(&R) -> Option<i64>) -> Self {
        let array: Int64Array = self.updates.iter().map(|u| value(&u.row)).collect();
        self.push(Arc::new(array))
    }

    /// Appends an Int64 column of unsigned values; a value beyond Int64 is an error.
    pub(super) fn int64_from_u64(self, name: &str, value: impl Fn(&R) -> u64) -> anyhow::Result<Self> {
        let values = self
            .updates
            .iter()
            .map(|u| {
                let v = value(&u.row);
                i64::try_from(v).with_context(|| format!("column {name}: {v} exceeds Int64"))
            })
            .collect::<anyhow::Result<Vec<i64>>>()?;
        Ok(self.push(Arc::new(Int64Array::from(values))))
    }

    /// Appends an Int32 column of unsigned values; a value beyond Int32 is an error.
    pub(super) fn int32(self, name: &str, value: impl Fn(&R) -> u32) -> anyhow::Result<Self> {
        let values = self
            .updates
            .iter()
            .map(|u| {
                let v = value(&u.row);
                i32::try_from(v).with_context(|| format!("column {name}: {v} exceeds Int32"))
            })
            .collect::<anyhow::Result<Vec<i32>>>()?;
        Ok(self.push(Arc::new(Int32Array::from(values))))
    }

    /// Appends a Float64 column.
    pub(super) fn float64(self, value: impl Fn(&R) -> f64) -> Self {
        let array = Float64Array::from_iter_values(self.updates.iter().map(|u| value(&u.row)));
        self.push(Arc::new(array))
    }

    /// Appends a nullable Int64 column of unsigned values; a value beyond Int64 is an error.
    pub(super) fn optional_int64_from_u64(self, name: &str, value: impl Fn(&R) -> Option<u64>) -> anyhow::Result<Self> {
        let values = self
            .updates
            .iter()
            .map(|u| {
                value(&u.row)
                    .map(|v| i64::try_from(v).with_context(|| format!("column {name}: {v} exceeds Int64")))
                    .transpose()
            })
            .collect::<anyhow::Result<Int64Array>>()?;
        Ok(self.push(Arc::new(values)))
    }

    /// Appends a Utf8 column.
    pub(super) fn text(self, value: impl Fn(&R) -> &str) -> Self {
        let array = StringArray::from_iter_values(self.updates.iter().map(|u| value(&u.row)));
        self.push(Arc::new(array))
    }

    /// Appends a Utf8 column of content ids in lower-case hexadecimal.
    pub(super) fn content_id(self, value: impl Fn(&R) -> &ContentId) -> Self {
        let array = StringArray::from_iter_values(self.updates.iter().map(|u| value(&u.row).to_hex()));
        self.push(Arc::new(array))
    }

    /// Appends a nullable Utf8 column.
    pub(super) fn optional_text<S: AsRef<str>>(self, value: impl Fn(&R) -> Option<S>) -> Self {
        let array: StringArray = self.updates.iter().map(|u| value(&u.row)).collect();
        self.push(Arc::new(array))
    }

    /// Appends a path as two columns: lossy UTF-8, and the bytes where the path is not UTF-8.
    pub(super) fn path(self, value: impl Fn(&R) -> &[u8]) -> Self {
        let lossy = StringArray::from_iter_values(self.updates.iter().map(|u| String::from_utf8_lossy(value(&u.row))));
        let raw: BinaryArray = self
            .updates
            .iter()
            .map(|u| {
                let bytes = value(&u.row);
                std::str::from_utf8(bytes).is_err().then_some(bytes)
            })
            .collect();
        self.push(Arc::new(lossy)).push(Arc::new(raw))
    }

    /// Appends a FixedSizeList<Int8, 128> column; a vector of another length is an error.
    pub(super) fn vector(self, value: impl Fn(&R) -> &[i8]) -> anyhow::Result<Self> {
        let mut flat = Vec::with_capacity(self.updates.len() * VECTOR_DIMS);
        for u in self.updates {
            let v = value(&u.row);
            if v.len() != VECTOR_DIMS {
                bail!("column vector: a vector has {} dimensions, {VECTOR_DIMS} expected", v.len());
            }
            flat.extend_from_slice(v);
        }
        let array =
            FixedSizeListArray::try_new(vector_item(), VECTOR_DIMS as i32, Arc::new(Int8Array::from(flat)), None)
                .context("building the vector column")?;
        Ok(self.push(Arc::new(array)))
    }

    /// Appends the columns of a [`CloneUnit`] (see [`clone_unit_fields`]).
    pub(super) fn clone_unit(self, value: impl Fn(&R) -> &CloneUnit) -> anyhow::Result<Self> {
        self.int64(|r| value(r).unit_key)
            .path(|r| &value(r).path)
            .text(|r| value(r).lang.name())
            .text(|r| value(r).kind.as_str())
            .text(|r| value(r).name.as_str())
            .int32("start_line", |r| value(r).start_line)?
            .int32("end_line", |r| value(r).end_line)?
            .int32("tokens", |r| value(r).tokens)
    }

    /// The record batch of `schema` made of the appended columns.
    pub(super) fn finish(self, schema: SchemaRef) -> anyhow::Result<RecordBatch> {
        RecordBatch::try_new(schema, self.arrays).context("assembling a record batch")
    }
}
