//! A real S3-protocol server for tests: s3s-fs in-process over HTTP on loopback,
//! checking SigV4 signatures and payload checksums. Two additions over s3s-fs:
//! `ListMultipartUploads` (s3s-fs has none; the backup's clean-up and `snapshots`
//! use it), and [`Fault`]s that make the store fail at a chosen request, not on
//! a timer.

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use s3s::auth::SimpleAuth;
use s3s::dto::*;
use s3s::service::S3ServiceBuilder;
use s3s::{s3_error, S3Request, S3Response, S3Result, S3};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::task::JoinSet;

pub const ACCESS_KEY: &str = "AKIAE2ETESTACCESSKEY";
pub const SECRET_KEY: &str = "e2e/secret+key/that-must-never-leak-0123456789";

/// Where the store starts failing. From then on every request answers 500
/// InternalError (the SDK retries those, then gives up) until [`S3Server::recover`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Fault {
    /// Never.
    None = 0,
    /// At the first `UploadPart`: the upload's id is known to the client, which
    /// must abort it.
    FirstPart = 1,
    /// At the first `CreateMultipartUpload`, after the upload was created: the
    /// answer, and with it the upload's id, is lost. Only a listing finds it.
    CreateAnswerLost = 2,
}

#[derive(Default)]
struct FaultState {
    armed: AtomicU8,
    down: AtomicBool,
    fired: AtomicBool,
}

impl FaultState {
    fn check(&self) -> S3Result<()> {
        if self.down.load(Ordering::SeqCst) {
            return Err(s3_error!(InternalError, "injected fault: the store is down"));
        }
        Ok(())
    }

    /// Go down if `fault` is the one armed.
    fn trip(&self, fault: Fault) -> bool {
        if self
            .armed
            .compare_exchange(fault as u8, Fault::None as u8, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
        {
            self.down.store(true, Ordering::SeqCst);
            self.fired.store(true, Ordering::SeqCst);
            return true;
        }
        false
    }
}

pub struct S3Server {
    pub endpoint: String,
    root: tempfile::TempDir,
    faults: Arc<FaultState>,
    _accept: tokio::task::JoinHandle<()>,
}

impl S3Server {
    /// Start a server with one bucket.
    pub async fn start(bucket: &str) -> S3Server {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join(bucket)).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let faults = Arc::new(FaultState::default());
        let accept = serve(root.path(), listener, faults.clone());
        S3Server {
            endpoint: format!("http://{addr}"),
            root,
            faults,
            _accept: accept,
        }
    }

    /// Make the store fail from the request `fault` names on.
    pub fn arm(&self, fault: Fault) {
        self.faults.armed.store(fault as u8, Ordering::SeqCst);
    }

    /// Whether the armed fault has happened.
    pub fn fault_fired(&self) -> bool {
        self.faults.fired.load(Ordering::SeqCst)
    }

    /// Answer requests again.
    pub fn recover(&self) {
        self.faults.armed.store(Fault::None as u8, Ordering::SeqCst);
        self.faults.down.store(false, Ordering::SeqCst);
    }

    /// Where bucket `b` lives on disk.
    pub fn bucket_dir(&self, b: &str) -> PathBuf {
        self.root.path().join(b)
    }

    /// Environment for the binary: credentials and endpoint, the standard way.
    pub fn env(&self) -> Vec<(String, String)> {
        env_for(&self.endpoint)
    }

    /// Multipart uploads still open (s3s-fs keeps one `.upload-<id>.json` each).
    pub fn open_multipart_uploads(&self) -> usize {
        count_matching(self.root.path(), &|name| {
            name.starts_with(".upload-") && name.ends_with(".json")
        })
    }
}

/// s3s-fs, with the faults and a `ListMultipartUploads`.
struct TestS3 {
    fs: s3s_fs::FileSystem,
    root: PathBuf,
    faults: Arc<FaultState>,
}

/// Every operation s3s-fs implements, passed through unless the store is down.
macro_rules! test_s3 {
    ($($op:ident($input:ident) -> $output:ident;)*) => {
        #[async_trait::async_trait]
        impl S3 for TestS3 {
            $(
                async fn $op(&self, req: S3Request<$input>) -> S3Result<S3Response<$output>> {
                    self.faults.check()?;
                    self.fs.$op(req).await
                }
            )*

            async fn create_multipart_upload(
                &self,
                req: S3Request<CreateMultipartUploadInput>,
            ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
                self.faults.check()?;
                let out = self.fs.create_multipart_upload(req).await?;
                if self.faults.trip(Fault::CreateAnswerLost) {
                    return Err(s3_error!(InternalError, "injected fault: the answer is lost"));
                }
                Ok(out)
            }

            async fn upload_part(&self, req: S3Request<UploadPartInput>) -> S3Result<S3Response<UploadPartOutput>> {
                self.faults.check()?;
                if self.faults.trip(Fault::FirstPart) {
                    return Err(s3_error!(InternalError, "injected fault: the store fails mid-upload"));
                }
                self.fs.upload_part(req).await
            }

            async fn list_multipart_uploads(
                &self,
                req: S3Request<ListMultipartUploadsInput>,
            ) -> S3Result<S3Response<ListMultipartUploadsOutput>> {
                self.faults.check()?;
                let input = req.input;
                let prefix = input.prefix.clone().unwrap_or_default();
                let uploads = self
                    .open_uploads(&input.bucket)
                    .into_iter()
                    .filter(|(key, _)| key.starts_with(&prefix))
                    .map(|(key, id)| MultipartUpload {
                        key: Some(key),
                        upload_id: Some(id),
                        ..Default::default()
                    })
                    .collect();
                Ok(S3Response::new(ListMultipartUploadsOutput {
                    bucket: Some(input.bucket),
                    prefix: input.prefix,
                    is_truncated: Some(false),
                    uploads: Some(uploads),
                    ..Default::default()
                }))
            }
        }
    };
}

test_s3! {
    create_bucket(CreateBucketInput) -> CreateBucketOutput;
    copy_object(CopyObjectInput) -> CopyObjectOutput;
    delete_bucket(DeleteBucketInput) -> DeleteBucketOutput;
    delete_object(DeleteObjectInput) -> DeleteObjectOutput;
    delete_objects(DeleteObjectsInput) -> DeleteObjectsOutput;
    get_bucket_location(GetBucketLocationInput) -> GetBucketLocationOutput;
    get_object(GetObjectInput) -> GetObjectOutput;
    head_bucket(HeadBucketInput) -> HeadBucketOutput;
    head_object(HeadObjectInput) -> HeadObjectOutput;
    list_buckets(ListBucketsInput) -> ListBucketsOutput;
    list_objects(ListObjectsInput) -> ListObjectsOutput;
    list_objects_v2(ListObjectsV2Input) -> ListObjectsV2Output;
    put_object(PutObjectInput) -> PutObjectOutput;
    upload_part_copy(UploadPartCopyInput) -> UploadPartCopyOutput;
    list_parts(ListPartsInput) -> ListPartsOutput;
    complete_multipart_upload(CompleteMultipartUploadInput) -> CompleteMultipartUploadOutput;
    abort_multipart_upload(AbortMultipartUploadInput) -> AbortMultipartUploadOutput;
}

impl TestS3 {
    /// (key, upload id) of every open upload in `bucket`: s3s-fs keeps
    /// `.upload-<id>.json` per upload and
    /// `.bucket-<b64 bucket>.object-<b64 key>.upload-<id>.metadata.json` beside it.
    fn open_uploads(&self, bucket: &str) -> Vec<(String, String)> {
        let want = format!(".bucket-{}.object-", b64url(bucket.as_bytes()));
        let mut out = Vec::new();
        for e in std::fs::read_dir(&self.root).into_iter().flatten().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let Some(rest) = name.strip_prefix(&want) else {
                continue;
            };
            let Some(rest) = rest.strip_suffix(".metadata.json") else {
                continue;
            };
            let Some((key, id)) = rest.split_once(".upload-") else {
                continue;
            };
            if !self.root.join(format!(".upload-{id}.json")).exists() {
                continue;
            }
            if let Some(key) = unb64url(key).and_then(|k| String::from_utf8(k).ok()) {
                out.push((key, id.to_string()));
            }
        }
        out.sort();
        out
    }
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn b64url(data: &[u8]) -> String {
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let n = chunk.iter().fold(0u32, |n, &b| n << 8 | u32::from(b)) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            out.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

fn unb64url(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in s.bytes() {
        acc = acc << 6 | B64.iter().position(|&b| b == c)? as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

/// Serve the test store over `listener` until the test ends.
fn serve(root: &Path, listener: TcpListener, faults: Arc<FaultState>) -> tokio::task::JoinHandle<()> {
    let store = TestS3 {
        fs: s3s_fs::FileSystem::new(root).unwrap(),
        root: root.canonicalize().unwrap(),
        faults,
    };
    let mut b = S3ServiceBuilder::new(store);
    b.set_auth(SimpleAuth::from_single(ACCESS_KEY, SECRET_KEY));
    let service = b.build();
    tokio::spawn(async move {
        let mut conns = JoinSet::new();
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                break;
            };
            let service = service.clone();
            conns.spawn(async move {
                let _ = ConnBuilder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(socket), service)
                    .await;
            });
        }
    })
}

fn count_matching(dir: &Path, pred: &dyn Fn(&str) -> bool) -> usize {
    let mut n = 0;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if pred(&name) {
            n += 1;
        }
        if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
            n += count_matching(&e.path(), pred);
        }
    }
    n
}

#[test]
fn base64url_round_trips() {
    for s in ["", "a", "ab", "abc", "backups", "n/backup_x/workbooks/é.twbx"] {
        assert_eq!(unb64url(&b64url(s.as_bytes())).unwrap(), s.as_bytes());
    }
    assert_eq!(b64url(b"backups"), "YmFja3Vwcw");
}

/// The binary's environment for an S3 server at `endpoint` with the test
/// credentials: the standard variables, no instance metadata.
pub fn env_for(endpoint: &str) -> Vec<(String, String)> {
    vec![
        ("AWS_ACCESS_KEY_ID".into(), ACCESS_KEY.into()),
        ("AWS_SECRET_ACCESS_KEY".into(), SECRET_KEY.into()),
        ("AWS_REGION".into(), "us-east-1".into()),
        ("AWS_ENDPOINT_URL_S3".into(), endpoint.to_string()),
        ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
    ]
}
