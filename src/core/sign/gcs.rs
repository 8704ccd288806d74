//! GCS signing: V4 signed URLs (RSA and HMAC) and bearer tokens. (being written)
