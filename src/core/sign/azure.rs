//! Azure Storage SharedKey and SAS. (being written)
