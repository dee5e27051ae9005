//! The baseline: a plain native REST client (reqwest on tokio) that makes the same
//! requests as the backup and writes what it gets to files, and nothing else: no
//! sandbox, no hashing, no retries, no manifest. It runs as the hidden `baseline`
//! subcommand of this binary, so its peak RSS is measured exactly like the backup's.
//!
//! Like the backup's local store, it fsyncs every file it writes.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use futures::{StreamExt, TryStreamExt};
use serde_json::{json, Value};
use tokio::fs::File;
use tokio::io::{AsyncWriteExt, BufWriter};

const API: &str = "3.24";
const SECRET_ENV: &str = "TABLEAU_TOKEN_SECRET";

#[derive(clap::Args, Debug)]
pub struct Args {
    #[arg(long)]
    server: String,
    #[arg(long)]
    site: String,
    #[arg(long)]
    token_name: String,
    /// Folder for the files (created).
    #[arg(long)]
    dest: PathBuf,
    /// Requests in flight at once (downloads; group member lists).
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    #[arg(long, default_value_t = 1000)]
    page_size: u32,
    #[command(subcommand)]
    job: Job,
}

#[derive(clap::Subcommand, Debug, Clone)]
pub enum Job {
    /// List workbooks, data sources and flows, then download every file.
    Content,
    /// Fetch every page of these lists; `groups` also fetches each group's members.
    Lists {
        #[arg(value_delimiter = ',', required = true)]
        lists: Vec<String>,
    },
}

/// The command line of a baseline run (after the binary name).
pub fn command_line(
    server: &str,
    site: &str,
    token_name: &str,
    dest: &Path,
    concurrency: u32,
    job: &Job,
) -> Vec<String> {
    let mut v: Vec<String> = [
        "baseline",
        "--server",
        server,
        "--site",
        site,
        "--token-name",
        token_name,
    ]
    .map(String::from)
    .into();
    v.extend(["--dest".into(), dest.display().to_string()]);
    v.extend(["--concurrency".into(), concurrency.to_string()]);
    match job {
        Job::Content => v.push("content".into()),
        Job::Lists { lists } => v.extend(["lists".into(), lists.join(",")]),
    }
    v
}

/// Runs the baseline; prints `{"files":N,"bytes":B,"counts":{list:items}}` on stdout.
pub fn main(args: Args) -> Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let summary = rt.block_on(run(args))?;
    println!("{summary}");
    Ok(())
}

async fn run(args: Args) -> Result<Value> {
    let secret = std::env::var(SECRET_ENV).with_context(|| format!("{SECRET_ENV} is not set"))?;
    let api = Api::sign_in(&args, &secret).await?;
    let result = job(&api, &args).await;
    api.sign_out().await;
    result
}

async fn job(api: &Api, args: &Args) -> Result<Value> {
    let dest = &args.dest;
    tokio::fs::create_dir_all(dest).await?;
    let mut counts = serde_json::Map::new();
    let (mut files, mut bytes) = (0u64, 0u64);
    match &args.job {
        Job::Content => {
            let mut items = Vec::new();
            for kind in ["workbooks", "datasources", "flows"] {
                let (n, ids) = api
                    .walk(kind, wrapper(kind)?, &dest.join(format!("{kind}.json")), true)
                    .await?;
                counts.insert(kind.into(), n.into());
                tokio::fs::create_dir_all(dest.join(kind)).await?;
                items.extend(ids.into_iter().map(|id| (kind, id)));
            }
            let sizes: Vec<u64> = futures::stream::iter(&items)
                .map(|(kind, id)| api.download(kind, id, dest))
                .buffer_unordered(args.concurrency)
                .try_collect()
                .await?;
            files = sizes.len() as u64;
            bytes = sizes.iter().sum();
        }
        Job::Lists { lists } => {
            for list in lists {
                let file = dest.join(format!("{list}.json"));
                let (n, ids) = api.walk(list, wrapper(list)?, &file, list == "groups").await?;
                counts.insert(list.clone(), n.into());
                // Each group's members, like the backup's groups.json `members`.
                futures::stream::iter(&ids)
                    .map(|id| {
                        let file = dest.join(format!("group_{id}.json"));
                        async move {
                            api.walk(&format!("groups/{id}/users"), ("users", "user"), &file, false)
                                .await
                        }
                    })
                    .buffered(args.concurrency)
                    .try_collect::<Vec<_>>()
                    .await?;
            }
        }
    }
    Ok(json!({"files": files, "bytes": bytes, "counts": counts}))
}

/// The JSON wrapper of a list: `{"users": {"user": [...]}}`.
fn wrapper(list: &str) -> Result<(&'static str, &'static str)> {
    Ok(match list {
        "users" => ("users", "user"),
        "groups" => ("groups", "group"),
        "projects" => ("projects", "project"),
        "workbooks" => ("workbooks", "workbook"),
        "datasources" => ("datasources", "datasource"),
        "flows" => ("flows", "flow"),
        other => bail!("the baseline cannot list {other:?}"),
    })
}

/// Tableau's JSON: several elements are an array, one is an object, none is absent.
fn one_or_many(v: &Value) -> &[Value] {
    match v {
        Value::Array(a) => a,
        Value::Null => &[],
        other => std::slice::from_ref(other),
    }
}

/// A signed-in session.
struct Api {
    http: reqwest::Client,
    server: String,
    /// `{server}/api/{API}/sites/{site id}`
    site_url: String,
    token: String,
    page_size: u32,
}

impl Api {
    async fn sign_in(args: &Args, secret: &str) -> Result<Api> {
        let http = reqwest::Client::new();
        let server = args.server.trim_end_matches('/').to_string();
        // The backup asks for the server's API version first; so do we.
        http.get(format!("{server}/api/{API}/serverinfo"))
            .header("Accept", "application/json")
            .send()
            .await?
            .error_for_status()?;
        let body = json!({"credentials": {
            "personalAccessTokenName": args.token_name,
            "personalAccessTokenSecret": secret,
            "site": {"contentUrl": args.site}}});
        let resp = http
            .post(format!("{server}/api/{API}/auth/signin"))
            .header("Accept", "application/json")
            .header("Content-Type", "application/json")
            .body(body.to_string())
            .send()
            .await?
            .error_for_status()
            .context("sign-in")?;
        let v: Value = serde_json::from_slice(&resp.bytes().await?)?;
        let field = |path: &[&str]| {
            let s = path.iter().fold(&v["credentials"], |v, k| &v[*k]);
            s.as_str()
                .map(String::from)
                .context("sign-in answer without credentials")
        };
        Ok(Api {
            site_url: format!("{server}/api/{API}/sites/{}", field(&["site", "id"])?),
            token: field(&["token"])?,
            http,
            server,
            page_size: args.page_size,
        })
    }

    async fn sign_out(&self) {
        let _ = self
            .http
            .post(format!("{}/api/{API}/auth/signout", self.server))
            .header("X-Tableau-Auth", &self.token)
            .send()
            .await;
    }

    /// Every page of a list into `file` (one response body per line); returns the number
    /// of items and, with `keep_ids`, their ids. Stops like the backup: an empty page,
    /// `pageNumber * pageSize >= totalAvailable`, or 400006 past the end.
    async fn walk(
        &self,
        path: &str,
        (outer, inner): (&str, &str),
        file: &Path,
        keep_ids: bool,
    ) -> Result<(u64, Vec<String>)> {
        let mut out = BufWriter::new(File::create(file).await?);
        let (mut count, mut ids) = (0u64, Vec::new());
        for number in 1u64.. {
            let url = format!(
                "{}/{path}?pageSize={}&pageNumber={number}",
                self.site_url, self.page_size
            );
            let resp = self
                .http
                .get(&url)
                .header("X-Tableau-Auth", &self.token)
                .header("Accept", "application/json")
                .send()
                .await?;
            let status = resp.status();
            let body = resp.bytes().await?;
            let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            if status == 400 && number > 1 && v["error"]["code"] == "400006" {
                break;
            }
            if !status.is_success() || !v.is_object() {
                bail!("GET {path} page {number}: HTTP {status}, not a JSON page");
            }
            out.write_all(&body).await?;
            out.write_all(b"\n").await?;
            let items = one_or_many(&v[outer][inner]);
            count += items.len() as u64;
            if keep_ids {
                ids.extend(items.iter().filter_map(|i| i["id"].as_str()).map(String::from));
            }
            let total = v["pagination"]["totalAvailable"]
                .as_str()
                .and_then(|s| s.parse::<u64>().ok());
            match total {
                Some(total) if !items.is_empty() && number * u64::from(self.page_size) < total => {}
                _ => break,
            }
        }
        out.flush().await?;
        out.into_inner().sync_all().await?;
        Ok((count, ids))
    }

    /// One content file, streamed into `dest/<kind>/<id>`; returns its size.
    async fn download(&self, kind: &str, id: &str, dest: &Path) -> Result<u64> {
        let query = if kind == "flows" {
            ""
        } else {
            "?includeExtract=true"
        };
        let mut resp = self
            .http
            .get(format!("{}/{kind}/{id}/content{query}", self.site_url))
            .header("X-Tableau-Auth", &self.token)
            .send()
            .await?
            .error_for_status()
            .with_context(|| format!("GET {kind}/{id}/content"))?;
        let mut out = BufWriter::with_capacity(256 << 10, File::create(dest.join(kind).join(id)).await?);
        let mut n = 0u64;
        while let Some(chunk) = resp.chunk().await? {
            n += chunk.len() as u64;
            out.write_all(&chunk).await?;
        }
        out.flush().await?;
        out.into_inner().sync_all().await?;
        Ok(n)
    }
}
