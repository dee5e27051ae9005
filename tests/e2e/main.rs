//! End-to-end tests: the real `tableau-backup` binary (with its embedded guest
//! component) against the Tableau site simulator over real HTTP, writing to a
//! local folder or to a real S3-protocol server that checks signatures.

mod support;

mod backup_local;
mod backup_s3;
mod bad_input;
mod capture;
mod cli;
mod fields;
mod reliability;
mod restore;
mod revisions;
mod sandbox;
mod verify;
