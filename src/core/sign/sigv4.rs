//! AWS Signature Version 4: header signing and presigned URLs. (being written)
