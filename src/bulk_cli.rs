//! `roster import` and `roster export`: users in bulk from and to a file, straight against
//! the database, acting for the tenant as the operator.

use anyhow::Context as _;
use futures::Stream;
use indicatif::{ProgressBar, ProgressStyle};
use roster::domain::import::{ExportFormat, UserLine};
use roster::domain::FieldError;
use roster::service::bulk::{ExportOptions, ImportLine, ImportOptions, ImportReport, LineResult};
use roster::service::{Context, Services};
use serde_json::json;
use std::path::Path;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

/// The format a file's name suggests, unless one is given.
pub fn format_of(path: &Path, given: Option<ExportFormat>) -> ExportFormat {
    given.unwrap_or_else(|| match path.extension().and_then(|e| e.to_str()) {
        Some(e) if e.eq_ignore_ascii_case("csv") => ExportFormat::Csv,
        _ => ExportFormat::Ndjson,
    })
}

/// Imports `path`, showing a progress bar (by bytes read) and each refused line on stderr;
/// prints the summary as JSON on stdout.
pub async fn import(
    services: &Services,
    ctx: &Context,
    path: &Path,
    format: ExportFormat,
    options: ImportOptions,
) -> anyhow::Result<()> {
    let file = tokio::fs::File::open(path)
        .await
        .with_context(|| format!("opening {}", path.display()))?;
    let size = file.metadata().await?.len();
    let bar = ProgressBar::new(size).with_style(
        ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {elapsed} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let lines: std::pin::Pin<Box<dyn Stream<Item = std::io::Result<ImportLine>> + Send>> =
        match format {
            ExportFormat::Ndjson => Box::pin(ndjson_file(file, bar.clone())),
            ExportFormat::Csv => Box::pin(csv_file(file.into_std().await, bar.clone())),
        };
    let (tx, mut rx) = mpsc::channel::<ImportReport>(256);
    let shown = bar.clone();
    let printer = tokio::spawn(async move {
        while let Some(report) = rx.recv().await {
            match report {
                ImportReport::Line(o) => {
                    if let LineResult::Refused(errors) = o.result {
                        let errors: Vec<_> = errors
                            .iter()
                            .map(|e| json!({"field": e.field, "message": e.message}))
                            .collect();
                        shown.suspend(|| {
                            eprintln!(
                                "{}",
                                json!({"line": o.line, "result": "refused", "errors": errors})
                            )
                        });
                    }
                }
                ImportReport::Chunk(t) => shown.set_message(format!(
                    "{} lines: {} created, {} updated, {} unchanged, {} refused",
                    t.lines, t.created, t.updated, t.unchanged, t.refused
                )),
            }
        }
    });
    let tally = services.import_users(ctx, lines, options, tx).await;
    let _ = printer.await;
    bar.finish();
    let tally = tally.map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "{}",
        json!({
            "dry_run": options.dry_run,
            "lines": tally.lines, "created": tally.created, "updated": tally.updated,
            "unchanged": tally.unchanged, "refused": tally.refused, "chunks": tally.chunks,
        })
    );
    Ok(())
}

/// The lines of an NDJSON file, numbered from 1 (blank ones skipped and counted).
fn ndjson_file(
    file: tokio::fs::File,
    bar: ProgressBar,
) -> impl Stream<Item = std::io::Result<ImportLine>> + Send {
    let reader = BufReader::with_capacity(256 * 1024, file);
    futures::stream::unfold(
        (reader, 0u64, Vec::new()),
        move |(mut r, mut n, mut buf)| {
            let bar = bar.clone();
            async move {
                loop {
                    buf.clear();
                    match r.read_until(b'\n', &mut buf).await {
                        Ok(0) => return None,
                        Ok(read) => {
                            bar.inc(read as u64);
                            n += 1;
                            let text = buf.strip_suffix(b"\n").unwrap_or(&buf);
                            let text = text.strip_suffix(b"\r").unwrap_or(text);
                            if text.iter().all(u8::is_ascii_whitespace) {
                                continue;
                            }
                            let line = ImportLine::from_ndjson(n, text);
                            return Some((Ok(line), (r, n, buf)));
                        }
                        Err(e) => return Some((Err(e), (r, n, buf))),
                    }
                }
            }
        },
    )
}

/// The rows of a CSV file with a header, numbered by their line in the file. Read on a
/// blocking thread, a few rows ahead.
fn csv_file(
    file: std::fs::File,
    bar: ProgressBar,
) -> impl Stream<Item = std::io::Result<ImportLine>> + Send {
    let (tx, rx) = mpsc::channel::<std::io::Result<ImportLine>>(1024);
    tokio::task::spawn_blocking(move || {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(std::io::BufReader::with_capacity(256 * 1024, file));
        let header: Vec<String> = match reader.headers() {
            Ok(h) => h.iter().map(str::to_owned).collect(),
            Err(e) => {
                let _ = tx.blocking_send(Err(std::io::Error::other(e)));
                return;
            }
        };
        let mut record = csv::StringRecord::new();
        loop {
            let read = reader.read_record(&mut record);
            bar.set_position(reader.position().byte());
            let number = reader.position().line().saturating_sub(1).max(2);
            let line = match read {
                Ok(false) => return,
                Ok(true) => {
                    let cells: Vec<String> = record.iter().map(str::to_owned).collect();
                    ImportLine {
                        number,
                        user: UserLine::from_cells(&header, &cells)
                            .map_err(|e| vec![e])
                            .and_then(UserLine::parse),
                    }
                }
                Err(e) if e.is_io_error() => {
                    let _ = tx.blocking_send(Err(std::io::Error::other(e)));
                    return;
                }
                Err(e) => ImportLine {
                    number,
                    user: Err(vec![FieldError::new(
                        "line",
                        format!("is not a CSV row: {e}"),
                    )]),
                },
            };
            if tx.blocking_send(Ok(line)).is_err() {
                return;
            }
        }
    });
    futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|l| (l, rx)) })
}

/// Exports the users `options` select to `out` (stdout when None), page by page.
pub async fn export(
    services: &Services,
    ctx: &Context,
    options: ExportOptions,
    format: ExportFormat,
    out: Option<&Path>,
) -> anyhow::Result<u64> {
    let mut sink: std::pin::Pin<Box<dyn tokio::io::AsyncWrite + Send>> = match out {
        Some(path) => Box::pin(tokio::io::BufWriter::new(
            tokio::fs::File::create(path)
                .await
                .with_context(|| format!("creating {}", path.display()))?,
        )),
        None => Box::pin(tokio::io::BufWriter::new(tokio::io::stdout())),
    };
    sink.write_all(&format.header()).await?;
    let (tx, mut rx) = mpsc::channel::<Vec<UserLine>>(2);
    let export = services.export_users(ctx, options, tx);
    let write = async {
        while let Some(page) = rx.recv().await {
            sink.write_all(&format.encode(&page)).await?;
        }
        sink.flush().await?;
        anyhow::Ok(())
    };
    let (sent, written) = tokio::join!(export, write);
    written?;
    sent.map_err(|e| anyhow::anyhow!("{e}"))
}
