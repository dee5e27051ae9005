//! A real S3-protocol server for tests: s3s-fs in-process over HTTP on loopback,
//! checking SigV4 signatures and payload checksums.

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use s3s::auth::SimpleAuth;
use s3s::service::S3ServiceBuilder;
use std::path::{Path, PathBuf};
use tokio::net::TcpListener;
use tokio::task::JoinSet;

pub const ACCESS_KEY: &str = "AKIAE2ETESTACCESSKEY";
pub const SECRET_KEY: &str = "e2e/secret+key/that-must-never-leak-0123456789";

pub struct S3Server {
    pub endpoint: String,
    addr: std::net::SocketAddr,
    root: tempfile::TempDir,
    accept: Option<tokio::task::JoinHandle<()>>,
}

impl S3Server {
    /// Start a server with one bucket.
    pub async fn start(bucket: &str) -> S3Server {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join(bucket)).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let accept = Some(serve(root.path(), listener));
        S3Server {
            endpoint: format!("http://{addr}"),
            addr,
            root,
            accept,
        }
    }

    /// Stop accepting and drop every open connection, as a crashed server would.
    pub fn stop(&mut self) {
        if let Some(a) = self.accept.take() {
            a.abort();
        }
    }

    /// Serve again on the same address and data (after [`S3Server::stop`]).
    pub async fn restart(&mut self) {
        let listener = TcpListener::bind(self.addr).await.unwrap();
        self.accept = Some(serve(self.root.path(), listener));
    }

    /// Where bucket `b` lives on disk.
    pub fn bucket_dir(&self, b: &str) -> PathBuf {
        self.root.path().join(b)
    }

    /// Environment for the binary: credentials and endpoint, the standard way.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("AWS_ACCESS_KEY_ID".into(), ACCESS_KEY.into()),
            ("AWS_SECRET_ACCESS_KEY".into(), SECRET_KEY.into()),
            ("AWS_REGION".into(), "us-east-1".into()),
            ("AWS_ENDPOINT_URL_S3".into(), self.endpoint.clone()),
            ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
        ]
    }

    /// Multipart uploads still open (s3s-fs keeps one `.upload-<id>.json` each).
    pub fn open_multipart_uploads(&self) -> usize {
        count_matching(self.root.path(), &|name| {
            name.starts_with(".upload-") && name.ends_with(".json")
        })
    }
}

/// Serve s3s-fs over `listener`; aborting the task closes every connection.
fn serve(root: &Path, listener: TcpListener) -> tokio::task::JoinHandle<()> {
    let fs = s3s_fs::FileSystem::new(root).unwrap();
    let mut b = S3ServiceBuilder::new(fs);
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
