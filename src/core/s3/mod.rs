//! S3 request builders and response parsers. (being written)
