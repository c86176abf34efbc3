//! The results store: every processed report, its facts, sentences and labels, kept in an
//! embedded SQLite file so that a later `run` only does the work that is new.
//!
//! # What is stored, and when it is redone
//!
//! A report is keyed by the SHA-256 of its input file's bytes, so a renamed or moved file is
//! the same report (its last-seen path is updated) and two files with different bytes are two
//! reports, even for the same authority. Each report records three versions:
//!
//! - `extractor_version` ([`EXTRACTOR_VERSION`]): the revision of the stages that read,
//!   cleaned and split it. A stored report read by another revision is read again when its
//!   file is among the inputs.
//! - `classifier_version` ([`crate::classify::Classifier::version`]: the rules' revision,
//!   and for a model classifier the model's identity) and `taxonomy_version`
//!   ([`crate::taxonomy::Taxonomy::fingerprint`], which changes with the file's bytes). When
//!   either differs from the current run's, the report's stored sentences are re-labelled
//!   without reading the file again, whether or not the file is among this run's inputs, so
//!   that every output row comes from one classifier.
//!
//! Outputs are written from the whole store, so the comparison grows run after run;
//! `ofsted-themes forget` takes reports out. Inputs that could not be used are not stored:
//! they are tried again on the next run.
//!
//! # Tables (query them with `sqlite3 output/store.sqlite`)
//!
//! - `reports`: one row per report: `sha256` (key), `report_id`, `source_path`, the facts as
//!   columns (authority, kind, dates, inspector, one column per grade) and as `facts_json`
//!   (the exact [`ReportFacts`], which is what is read back), the three versions, `stored_at`.
//! - `sentences`: one row per sentence (`report_sha256`, `sentence_no`): text, section,
//!   judgement area, structure, `stance`, `stance_score`, `themes` (ids joined by `;`, for
//!   reading) and `evidence` (a JSON array of strings).
//! - `sentence_themes`: one row per theme of a sentence: `rank` (0 = highest), `theme`, `score`.
//! - `sentences.embedding` and `reports.encoder`: each sentence's embedding (little-endian
//!   half-precision numbers) and the encoder that made them, for classifiers with an encoder;
//!   when only the heads, thresholds or taxonomy change, re-labelling reads them instead of
//!   running the encoder. NULL where none was made (the rules classifier, an older store):
//!   those reports are encoded once, when next labelled by a model.
//!
//! Enumerations are stored by their serde names (`focused_visit`, `requires_improvement`).
//!
//! # Crashes, power loss and concurrent runs
//!
//! Each report (or each re-labelling of one) is written in its own transaction, in WAL mode
//! with `synchronous=FULL`, so a committed report survives power loss and a run killed at any
//! moment leaves every report either fully stored or absent; the next run does the rest.
//! A run takes an exclusive OS lock on `STORE.lock` beside the store for as long as it holds
//! the store; the OS drops the lock when the process dies, so a killed run never leaves the
//! store locked. A second run fails at once with "store FILE is in use by another run". (The
//! output folder has a lock of its own, taken by `run`: see [`crate::output`].)
//!
//! # Schema versions
//!
//! `PRAGMA user_version` holds the schema version. [`MIGRATIONS`]`[i]` upgrades version `i`
//! to `i + 1`, each in its own transaction; opening a store applies those it lacks, so an
//! older store is upgraded in place. A store from a newer ofsted-themes, or an SQLite file
//! that is not a store, is refused with a message saying what to do.

use std::collections::{BTreeMap, HashMap};
use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::classify::{Classifier, SentenceEmbeddings};
use crate::taxonomy::Taxonomy;
use crate::types::{
    Date, Grade, InputFormat, Label, LabelledReport, Report, ReportFacts, Sentence, Stance,
    ThemeScore,
};

/// The store's file name inside the output folder when `--store` is not given.
pub const DEFAULT_FILE_NAME: &str = "store.sqlite";

/// Why a store cannot be used, as opposed to a failure while using it. Each says what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// Another run holds the store's lock.
    #[error("store {} is in use by another run", .0.display())]
    InUse(PathBuf),
    /// A later ofsted-themes wrote it.
    #[error(
        "it was written by a newer ofsted-themes (store schema version {found}; this one \
         reads up to {newest}): use that version, or give this one a new store with --store FILE"
    )]
    NewerSchema { found: u32, newest: u32 },
    /// Its schema version is none that any ofsted-themes writes.
    #[error(
        "its schema version ({0}) is none that ofsted-themes writes, so it is damaged or not a \
         store: move it out of the way, or give another file with --store FILE"
    )]
    UnknownSchema(i64),
    /// An SQLite file with tables but no schema version: another program's database.
    #[error(
        "it is an SQLite file but not an ofsted-themes store (it has tables and no schema \
         version): move it out of the way, or give another file with --store FILE"
    )]
    NotAStore,
    /// Not an SQLite file at all.
    #[error(
        "the file is not an SQLite database: give another file with --store FILE, or move this \
         one out of the way"
    )]
    NotADatabase,
}

/// The schema version this build writes: the number of entries in [`MIGRATIONS`].
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// The revision of the reading stages (ingest, pdf, html, clean, facts, segment), recorded
/// with each report. Raise it whenever what they produce changes, so that stored reports are
/// read again: `tests/hostile.rs` fails when their output on the fixture reports changes and
/// this did not.
pub const EXTRACTOR_VERSION: &str = "reading r3";

/// Schema migrations: entry `i` takes a store from version `i` to `i + 1`. Append new entries;
/// never edit one that has shipped.
pub const MIGRATIONS: &[&str] = &[
    // 0 → 1: the first schema.
    "CREATE TABLE reports (
        sha256                TEXT PRIMARY KEY,
        report_id             TEXT NOT NULL,
        source_path           TEXT NOT NULL,
        format                TEXT NOT NULL,
        local_authority       TEXT,
        document_kind         TEXT NOT NULL,
        start_date            TEXT,
        end_date              TEXT,
        published             TEXT,
        report_date           TEXT,
        lead_inspector        TEXT,
        overall_effectiveness TEXT,
        impact_of_leaders     TEXT,
        help_and_protection   TEXT,
        children_in_care      TEXT,
        care_leavers          TEXT,
        adoption              TEXT,
        lscb                  TEXT,
        facts_json            TEXT NOT NULL,
        extractor_version     TEXT NOT NULL,
        classifier            TEXT NOT NULL,
        classifier_version    TEXT NOT NULL,
        taxonomy_version      TEXT NOT NULL,
        stored_at             INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX reports_authority ON reports(local_authority);
    CREATE TABLE sentences (
        report_sha256       TEXT NOT NULL REFERENCES reports(sha256) ON DELETE CASCADE,
        sentence_no         INTEGER NOT NULL,
        text                TEXT NOT NULL,
        section             TEXT NOT NULL,
        judgement_area      TEXT NOT NULL,
        in_improvement_list INTEGER NOT NULL,
        block_kind          TEXT NOT NULL,
        stance              TEXT NOT NULL,
        stance_score        REAL NOT NULL,
        themes              TEXT NOT NULL,
        evidence            TEXT NOT NULL,
        PRIMARY KEY (report_sha256, sentence_no)
    ) STRICT;
    CREATE INDEX sentences_stance ON sentences(stance);
    CREATE TABLE sentence_themes (
        report_sha256 TEXT NOT NULL,
        sentence_no   INTEGER NOT NULL,
        rank          INTEGER NOT NULL,
        theme         TEXT NOT NULL,
        score         REAL NOT NULL,
        PRIMARY KEY (report_sha256, sentence_no, rank),
        FOREIGN KEY (report_sha256, sentence_no)
            REFERENCES sentences(report_sha256, sentence_no) ON DELETE CASCADE
    ) STRICT;
    CREATE INDEX sentence_themes_theme ON sentence_themes(theme);",
    // 1 → 2: each sentence's embedding, so that new heads re-label without the encoder;
    // `reports.encoder` names the encoder that made a report's embeddings (NULL: none).
    "ALTER TABLE reports ADD COLUMN encoder TEXT;
    ALTER TABLE sentences ADD COLUMN embedding BLOB;",
];

/// What produced a report's labels. Stored labels from another `Labeller` are redone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Labeller {
    /// The classifier's name ("rules", "model", "combined"), as written in reports.csv.
    pub classifier: String,
    pub classifier_version: String,
    pub taxonomy_version: String,
}

impl Labeller {
    pub fn of(classifier: &dyn Classifier, taxonomy: &Taxonomy) -> Labeller {
        Labeller {
            classifier: classifier.name().to_string(),
            classifier_version: classifier.version(),
            taxonomy_version: taxonomy.fingerprint.clone(),
        }
    }
}

/// What the store holds about one report, without its sentences.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEntry {
    pub source: PathBuf,
    pub extractor_version: String,
    pub classifier_version: String,
    pub taxonomy_version: String,
}

impl StoredEntry {
    fn labelled_by(&self, labeller: &Labeller) -> bool {
        self.classifier_version == labeller.classifier_version
            && self.taxonomy_version == labeller.taxonomy_version
    }
}

/// The work a run has to do, decided from the inputs' hashes and the store's index.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Inputs not in the store: read and label them.
    pub new: Vec<PathBuf>,
    /// Inputs stored by another extractor version: read and label them again.
    pub reread: Vec<PathBuf>,
    /// Stored reports (by SHA-256) whose labels came from another labeller: re-label them
    /// from their stored sentences. Includes reports whose files are not among the inputs.
    pub relabel: Vec<String>,
    /// Stored reports among the inputs whose file is now at another path: (SHA-256, path).
    pub moved: Vec<(String, PathBuf)>,
    /// Inputs already stored with current labels (moved ones included).
    pub unchanged: usize,
    /// Stored reports not among the inputs that were read by another extractor version and
    /// so cannot be read again this run; their stored sentences are kept.
    pub stale_not_given: usize,
}

/// Decides what to do with `inputs` (path, SHA-256 of its bytes; sorted by path) given what
/// the store holds. Several inputs with the same bytes are one report, at the first path
/// (or at its stored path, when that is one of them).
pub fn plan(
    inputs: &[(PathBuf, String)],
    index: &HashMap<String, StoredEntry>,
    labeller: &Labeller,
) -> Plan {
    let mut by_hash: BTreeMap<&str, Vec<&PathBuf>> = BTreeMap::new();
    for (path, sha) in inputs {
        by_hash.entry(sha.as_str()).or_default().push(path);
    }
    let mut plan = Plan::default();
    let mut first_paths: Vec<(&PathBuf, &str)> = Vec::new();
    for (sha, paths) in &by_hash {
        match index.get(*sha) {
            None => first_paths.push((paths[0], sha)),
            Some(entry) if entry.extractor_version != EXTRACTOR_VERSION => {
                let path = paths
                    .iter()
                    .find(|p| ***p == entry.source)
                    .unwrap_or(&paths[0]);
                plan.reread.push((*path).clone());
            }
            Some(entry) => {
                if !paths.iter().any(|p| **p == entry.source) {
                    plan.moved.push((sha.to_string(), paths[0].clone()));
                }
                if entry.labelled_by(labeller) {
                    plan.unchanged += 1;
                }
            }
        }
    }
    first_paths.sort();
    plan.new = first_paths.into_iter().map(|(p, _)| p.clone()).collect();
    plan.reread.sort();
    let mut relabel: Vec<String> = index
        .iter()
        .filter(|(sha, entry)| {
            !entry.labelled_by(labeller)
                && (entry.extractor_version == EXTRACTOR_VERSION
                    || !by_hash.contains_key(sha.as_str()))
        })
        .map(|(sha, _)| sha.clone())
        .collect();
    relabel.sort();
    plan.relabel = relabel;
    plan.stale_not_given = index
        .iter()
        .filter(|(sha, e)| {
            e.extractor_version != EXTRACTOR_VERSION && !by_hash.contains_key(sha.as_str())
        })
        .count();
    plan
}

/// An open store, held exclusively by this process until dropped.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// Holds the OS lock on `STORE.lock`; released when the store is dropped or the process ends.
    _lock: File,
}

impl Store {
    /// Opens (creating if need be) the store at `path`, takes its lock and brings its schema
    /// up to date. Fails at once if another run holds it.
    pub fn open(path: &Path) -> Result<Store> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| {
                format!("cannot create the folder for store {}", path.display())
            })?;
        }
        let lock = take_lock(path)?;
        let conn = Connection::open(path)
            .with_context(|| format!("cannot open store {}", path.display()))?;
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
            _lock: lock,
        };
        store
            .configure()
            .and_then(|()| store.migrate())
            .with_context(|| format!("cannot use store {}", path.display()))?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn configure(&self) -> Result<()> {
        // WAL: readers (sqlite3, a spreadsheet) never block the run. FULL: every committed
        // report is on disk before the next begins, so power loss loses no committed work.
        let mode: String = self
            .conn
            .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
            .map_err(not_a_database)?;
        if !mode.eq_ignore_ascii_case("wal") {
            bail!("SQLite could not switch the store to WAL mode (it is in {mode} mode)");
        }
        self.conn.pragma_update(None, "synchronous", "FULL")?;
        self.conn.pragma_update(None, "foreign_keys", true)?;
        Ok(())
    }

    /// The schema version the file holds.
    pub fn schema_version(&self) -> Result<u32> {
        Ok(self
            .conn
            .query_row("PRAGMA user_version", [], |row| row.get(0))?)
    }

    fn migrate(&mut self) -> Result<()> {
        migrate(&mut self.conn, MIGRATIONS)
    }

    /// The number of reports stored.
    pub fn report_count(&self) -> Result<usize> {
        let n: i64 = self
            .conn
            .query_row("SELECT count(*) FROM reports", [], |row| row.get(0))?;
        Ok(n as usize)
    }

    /// Every stored report's path and versions, by SHA-256.
    pub fn index(&self) -> Result<HashMap<String, StoredEntry>> {
        let mut stmt = self.conn.prepare(
            "SELECT sha256, source_path, extractor_version, classifier_version, taxonomy_version
             FROM reports",
        )?;
        let rows = stmt.query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                StoredEntry {
                    source: PathBuf::from(row.get::<_, String>(1)?),
                    extractor_version: row.get(2)?,
                    classifier_version: row.get(3)?,
                    taxonomy_version: row.get(4)?,
                },
            ))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Stores a report with its labels, replacing any stored report with the same bytes, in
    /// one transaction.
    pub fn save(&mut self, lr: &LabelledReport, labeller: &Labeller) -> Result<()> {
        self.save_with_embeddings(lr, labeller, None)
    }

    /// [`Store::save`], with the sentences' embeddings when the classifier made them.
    pub fn save_with_embeddings(
        &mut self,
        lr: &LabelledReport,
        labeller: &Labeller,
        embeddings: Option<&SentenceEmbeddings>,
    ) -> Result<()> {
        let r = &lr.report;
        if lr.labels.len() != r.sentences.len() {
            bail!(
                "report {} has {} sentences but {} labels",
                r.source.display(),
                r.sentences.len(),
                lr.labels.len()
            );
        }
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM reports WHERE sha256 = ?1", [&r.sha256])?;
        let f = &r.facts;
        let g = &f.grades;
        let grade = |g: Option<Grade>| g.map(|g| enum_name(&g));
        let date = |d: Option<Date>| d.map(|d| d.to_string());
        tx.execute(
            "INSERT INTO reports (sha256, report_id, source_path, format, local_authority,
                document_kind, start_date, end_date, published, report_date, lead_inspector,
                overall_effectiveness, impact_of_leaders, help_and_protection, children_in_care,
                care_leavers, adoption, lscb, facts_json, extractor_version, classifier,
                classifier_version, taxonomy_version, stored_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                ?18, ?19, ?20, ?21, ?22, ?23, ?24)",
            params![
                r.sha256,
                r.id,
                path_text(&r.source),
                enum_name(&r.format),
                f.local_authority,
                enum_name(&f.kind),
                date(f.start_date),
                date(f.end_date),
                date(f.published),
                date(f.report_date()),
                f.lead_inspector,
                grade(g.overall_effectiveness),
                grade(g.impact_of_leaders),
                grade(g.help_and_protection),
                grade(g.children_in_care),
                grade(g.care_leavers),
                grade(g.adoption),
                grade(g.lscb),
                serde_json::to_string(f)?,
                EXTRACTOR_VERSION,
                labeller.classifier,
                labeller.classifier_version,
                labeller.taxonomy_version,
                unix_now(),
            ],
        )?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO sentences (report_sha256, sentence_no, text, section, judgement_area,
                    in_improvement_list, block_kind, stance, stance_score, themes, evidence)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, '', 0, '', '[]')",
            )?;
            for s in &r.sentences {
                insert.execute(params![
                    r.sha256,
                    s.no as i64,
                    s.text,
                    s.section,
                    enum_name(&s.judgement_area),
                    s.in_improvement_list,
                    enum_name(&s.block_kind),
                ])?;
            }
        }
        write_labels(&tx, r, &lr.labels)?;
        if let Some(embeddings) = embeddings {
            write_embeddings(&tx, r, embeddings)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Replaces a stored report's labels (after re-labelling its stored sentences), in one
    /// transaction.
    pub fn save_labels(&mut self, lr: &LabelledReport, labeller: &Labeller) -> Result<()> {
        self.save_labels_with_embeddings(lr, labeller, None)
    }

    /// [`Store::save_labels`], also replacing the sentences' embeddings when given (a store
    /// from before embeddings were kept gets them the first time it is re-labelled); stored
    /// embeddings are kept otherwise, since they depend on the sentences, not the labels.
    pub fn save_labels_with_embeddings(
        &mut self,
        lr: &LabelledReport,
        labeller: &Labeller,
        embeddings: Option<&SentenceEmbeddings>,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        let updated = tx.execute(
            "UPDATE reports SET classifier = ?2, classifier_version = ?3, taxonomy_version = ?4,
                stored_at = ?5
             WHERE sha256 = ?1",
            params![
                lr.report.sha256,
                labeller.classifier,
                labeller.classifier_version,
                labeller.taxonomy_version,
                unix_now(),
            ],
        )?;
        if updated != 1 {
            bail!("report {} is not in the store", lr.report.id);
        }
        tx.execute(
            "DELETE FROM sentence_themes WHERE report_sha256 = ?1",
            [&lr.report.sha256],
        )?;
        write_labels(&tx, &lr.report, &lr.labels)?;
        if let Some(embeddings) = embeddings {
            write_embeddings(&tx, &lr.report, embeddings)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The encoder whose embeddings each report holds, by SHA-256; reports without
    /// embeddings are absent.
    pub fn embedding_encoders(&self) -> Result<HashMap<String, String>> {
        let mut stmt = self
            .conn
            .prepare("SELECT sha256, encoder FROM reports WHERE encoder IS NOT NULL")?;
        let rows = stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// A stored report's sentence embeddings, in sentence order; None when it has none, or
    /// when any sentence lacks one.
    pub fn load_embeddings(&self, sha256: &str) -> Result<Option<SentenceEmbeddings>> {
        let encoder: Option<String> = self
            .conn
            .query_row(
                "SELECT encoder FROM reports WHERE sha256 = ?1",
                [sha256],
                |row| row.get(0),
            )
            .optional()?
            .flatten();
        let Some(encoder) = encoder else {
            return Ok(None);
        };
        let mut stmt = self.conn.prepare_cached(
            "SELECT embedding FROM sentences WHERE report_sha256 = ?1 ORDER BY sentence_no",
        )?;
        let rows: Vec<Option<Vec<u8>>> = stmt
            .query_map([sha256], |row| row.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(SentenceEmbeddings::from_row_bytes(&encoder, &rows))
    }

    /// Records where a stored report's file is now.
    pub fn set_source(&mut self, sha256: &str, source: &Path) -> Result<()> {
        self.conn.execute(
            "UPDATE reports SET source_path = ?2 WHERE sha256 = ?1",
            params![sha256, path_text(source)],
        )?;
        Ok(())
    }

    /// Removes a report; returns whether it was stored.
    pub fn forget(&mut self, sha256: &str) -> Result<bool> {
        let n = self
            .conn
            .execute("DELETE FROM reports WHERE sha256 = ?1", [sha256])?;
        Ok(n > 0)
    }

    /// A stored report, with its labels.
    pub fn load(&self, sha256: &str) -> Result<LabelledReport> {
        self.load_inner(sha256).map_err(|e| {
            if is_damage(&e) {
                // `forget` cannot help when the file itself is damaged; see [`advise`].
                return e;
            }
            e.context(format!(
                "cannot read report {} from store {} (`ofsted-themes forget {}` it, or move \
                 the store out of the way to start afresh)",
                &sha256[..sha256.len().min(12)],
                self.path.display(),
                &sha256[..sha256.len().min(12)],
            ))
        })
    }

    fn load_inner(&self, sha256: &str) -> Result<LabelledReport> {
        let (id, source, format, facts_json, classifier): (String, String, String, String, String) =
            self.conn
                .query_row(
                    "SELECT report_id, source_path, format, facts_json, classifier
                     FROM reports WHERE sha256 = ?1",
                    [sha256],
                    |row| {
                        Ok((
                            row.get(0)?,
                            row.get(1)?,
                            row.get(2)?,
                            row.get(3)?,
                            row.get(4)?,
                        ))
                    },
                )
                .optional()?
                .ok_or_else(|| anyhow!("not in the store"))?;
        let facts: ReportFacts = serde_json::from_str(&facts_json).context("facts_json")?;
        let format: InputFormat = enum_from(&format)?;

        let mut themes: HashMap<i64, Vec<ThemeScore>> = HashMap::new();
        {
            let mut stmt = self.conn.prepare_cached(
                "SELECT sentence_no, theme, score FROM sentence_themes
                 WHERE report_sha256 = ?1 ORDER BY sentence_no, rank",
            )?;
            let mut rows = stmt.query([sha256])?;
            while let Some(row) = rows.next()? {
                themes.entry(row.get(0)?).or_default().push(ThemeScore {
                    id: row.get(1)?,
                    score: row.get::<_, f64>(2)? as f32,
                });
            }
        }

        let mut sentences = Vec::new();
        let mut labels = Vec::new();
        let mut stmt = self.conn.prepare_cached(
            "SELECT sentence_no, text, section, judgement_area, in_improvement_list, block_kind,
                stance, stance_score, evidence
             FROM sentences WHERE report_sha256 = ?1 ORDER BY sentence_no",
        )?;
        let mut rows = stmt.query([sha256])?;
        while let Some(row) = rows.next()? {
            let no: i64 = row.get(0)?;
            sentences.push(Sentence {
                no: no as usize,
                text: row.get(1)?,
                section: row.get(2)?,
                judgement_area: enum_from(&row.get::<_, String>(3)?)?,
                in_improvement_list: row.get(4)?,
                block_kind: enum_from(&row.get::<_, String>(5)?)?,
            });
            let stance: String = row.get(6)?;
            labels.push(Label {
                stance: Stance::parse(&stance)
                    .ok_or_else(|| anyhow!("sentence {no}: unknown stance {stance:?}"))?,
                stance_score: row.get::<_, f64>(7)? as f32,
                themes: themes.remove(&no).unwrap_or_default(),
                evidence: serde_json::from_str(&row.get::<_, String>(8)?)
                    .with_context(|| format!("sentence {no}: evidence"))?,
            });
        }
        Ok(LabelledReport {
            report: Report {
                id,
                source: PathBuf::from(source),
                sha256: sha256.to_string(),
                format,
                facts,
                sentences,
            },
            labels,
            classifier,
        })
    }

    /// Every stored report, in SHA-256 order (sort them for output with
    /// [`crate::aggregate::sort_reports`]).
    pub fn load_all(&self) -> Result<Vec<LabelledReport>> {
        let mut stmt = self
            .conn
            .prepare("SELECT sha256 FROM reports ORDER BY sha256")?;
        let hashes: Vec<String> = stmt
            .query_map([], |row| row.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        hashes.iter().map(|sha| self.load(sha)).collect()
    }

    /// Stored reports whose source path is `path` or lies under it, or whose report id or
    /// SHA-256 starts with `path` read as text (at least 12 characters): SHA-256s.
    pub fn find(&self, path: &Path) -> Result<Vec<String>> {
        let text = path_text(path);
        let mut stmt = self
            .conn
            .prepare("SELECT sha256, source_path FROM reports ORDER BY sha256")?;
        let rows: Vec<(String, String)> = stmt
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let is_id = text.len() >= 12 && text.bytes().all(|b| b.is_ascii_hexdigit());
        Ok(rows
            .into_iter()
            .filter(|(sha, source)| {
                Path::new(source).starts_with(path)
                    || (is_id && sha.starts_with(&text.to_ascii_lowercase()))
            })
            .map(|(sha, _)| sha)
            .collect())
    }
}

/// Brings a database from its `user_version` up to `migrations.len()`, one transaction per
/// step, so a failed step leaves the store at the previous version.
fn migrate(conn: &mut Connection, migrations: &[&str]) -> Result<()> {
    let newest = migrations.len() as u32;
    let found: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    let Ok(found) = u32::try_from(found) else {
        return Err(StoreError::UnknownSchema(found).into());
    };
    if found > newest {
        return Err(StoreError::NewerSchema { found, newest }.into());
    }
    if found == 0 {
        let tables: i64 = conn.query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table'",
            [],
            |row| row.get(0),
        )?;
        if tables > 0 {
            return Err(StoreError::NotAStore.into());
        }
    }
    for version in found..newest {
        let tx = conn.transaction()?;
        tx.execute_batch(migrations[version as usize])
            .with_context(|| {
                format!(
                    "upgrading the store from schema version {version} to {}",
                    version + 1
                )
            })?;
        tx.pragma_update(None, "user_version", version + 1)?;
        tx.commit()?;
    }
    Ok(())
}

/// Writes the labels of a report whose sentences are stored (within the caller's transaction).
fn write_labels(tx: &Transaction, report: &Report, labels: &[Label]) -> Result<()> {
    let mut update = tx.prepare_cached(
        "UPDATE sentences SET stance = ?3, stance_score = ?4, themes = ?5, evidence = ?6
         WHERE report_sha256 = ?1 AND sentence_no = ?2",
    )?;
    let mut insert_theme = tx.prepare_cached(
        "INSERT INTO sentence_themes (report_sha256, sentence_no, rank, theme, score)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for (s, label) in report.sentences.iter().zip(labels) {
        let themes: Vec<&str> = label.themes.iter().map(|t| t.id.as_str()).collect();
        let n = update.execute(params![
            report.sha256,
            s.no as i64,
            label.stance.as_str(),
            label.stance_score as f64,
            themes.join(";"),
            serde_json::to_string(&label.evidence)?,
        ])?;
        if n != 1 {
            bail!("sentence {} of report {} is not stored", s.no, report.id);
        }
        for (rank, theme) in label.themes.iter().enumerate() {
            insert_theme.execute(params![
                report.sha256,
                s.no as i64,
                rank as i64,
                theme.id,
                theme.score as f64
            ])?;
        }
    }
    Ok(())
}

/// Writes the embeddings of a report whose sentences are stored, and the encoder that made
/// them (within the caller's transaction).
fn write_embeddings(
    tx: &Transaction,
    report: &Report,
    embeddings: &SentenceEmbeddings,
) -> Result<()> {
    if embeddings.len() != report.sentences.len() {
        bail!(
            "report {} has {} sentences but {} embeddings",
            report.id,
            report.sentences.len(),
            embeddings.len()
        );
    }
    let mut update = tx.prepare_cached(
        "UPDATE sentences SET embedding = ?3 WHERE report_sha256 = ?1 AND sentence_no = ?2",
    )?;
    for (i, s) in report.sentences.iter().enumerate() {
        update.execute(params![report.sha256, s.no as i64, embeddings.row_bytes(i)])?;
    }
    tx.execute(
        "UPDATE reports SET encoder = ?2 WHERE sha256 = ?1",
        params![report.sha256, embeddings.encoder],
    )?;
    Ok(())
}

/// Takes the exclusive lock on `STORE.lock`, or says the store is in use.
fn take_lock(store: &Path) -> Result<File> {
    let mut name = store.as_os_str().to_owned();
    name.push(".lock");
    let lock_path = PathBuf::from(name);
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .with_context(|| format!("cannot create lock file {}", lock_path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(TryLockError::WouldBlock) => Err(StoreError::InUse(store.to_path_buf()).into()),
        Err(TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("cannot lock {}", lock_path.display()))
        }
    }
}

/// Whether an error comes from SQLite finding the file damaged or not a database at all.
fn is_damage(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<rusqlite::Error>()
            .and_then(rusqlite::Error::sqlite_error_code)
            .is_some_and(|code| {
                matches!(
                    code,
                    rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase
                )
            })
    })
}

/// Adds to an error met while using the store at `path` the advice that works: a damaged
/// file cannot be mended by `forget` (which fails on it too), but moved aside, the next run
/// starts a new store and reads every report given to it again.
pub fn advise(e: anyhow::Error, path: &Path) -> anyhow::Error {
    if is_damage(&e) {
        e.context(format!(
            "store {0} is damaged: move it out of the way (`mv {0} {0}.damaged`) and run \
             again, which reads every report given again from its file",
            path.display()
        ))
    } else {
        e
    }
}

fn not_a_database(e: rusqlite::Error) -> anyhow::Error {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase) => StoreError::NotADatabase.into(),
        _ => e.into(),
    }
}

/// An enumeration's serde name ("focused_visit"), as stored.
fn enum_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        other => panic!("not a unit enum: {other:?}"),
    }
}

fn enum_from<T: DeserializeOwned>(name: &str) -> Result<T> {
    serde_json::from_value(serde_json::Value::String(name.to_string()))
        .with_context(|| format!("unknown value {name:?}"))
}

fn path_text(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{BlockKind, DocumentKind, JudgementArea};

    fn labeller(version: &str) -> Labeller {
        Labeller {
            classifier: "rules".into(),
            classifier_version: version.into(),
            taxonomy_version: "t1".into(),
        }
    }

    fn sample(sha: &str, source: &str) -> LabelledReport {
        let sentence = |no: usize, text: &str| Sentence {
            no,
            text: text.into(),
            section: "Help and protection".into(),
            judgement_area: JudgementArea::HelpAndProtection,
            in_improvement_list: no == 2,
            block_kind: BlockKind::Paragraph,
        };
        LabelledReport {
            report: Report {
                id: sha[..12].into(),
                source: source.into(),
                sha256: sha.into(),
                format: InputFormat::Pdf,
                facts: ReportFacts {
                    local_authority: Some("Testshire".into()),
                    kind: DocumentKind::FocusedVisit,
                    end_date: Some(Date {
                        year: 2024,
                        month: 3,
                        day: 7,
                    }),
                    grades: crate::types::Grades {
                        overall_effectiveness: Some(Grade::RequiresImprovement),
                        ..Default::default()
                    },
                    ..Default::default()
                },
                sentences: vec![sentence(1, "Plans are clear."), sentence(2, "Improve it.")],
            },
            labels: vec![
                Label {
                    stance: Stance::Strength,
                    stance_score: 0.1 + 0.2,
                    themes: vec![
                        ThemeScore {
                            id: "planning".into(),
                            score: 0.7,
                        },
                        ThemeScore {
                            id: "early_help".into(),
                            score: 1.0 / 3.0,
                        },
                    ],
                    evidence: vec!["strength: \"clear\"; and a semicolon".into()],
                },
                Label {
                    stance: Stance::Recommendation,
                    stance_score: 0.8,
                    themes: vec![],
                    evidence: vec![],
                },
            ],
            classifier: "rules".into(),
        }
    }

    const SHA_A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const SHA_B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    #[test]
    fn a_report_round_trips_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("s.sqlite")).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        let report = sample(SHA_A, "in/a.pdf");
        store.save(&report, &labeller("v1")).unwrap();
        assert_eq!(store.load(SHA_A).unwrap(), report);
        // Saving the same bytes again replaces, never duplicates.
        store.save(&report, &labeller("v1")).unwrap();
        assert_eq!(store.report_count().unwrap(), 1);
        assert_eq!(store.load_all().unwrap(), vec![report]);
    }

    #[test]
    fn relabelling_replaces_labels_and_versions() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("s.sqlite")).unwrap();
        let mut report = sample(SHA_A, "in/a.pdf");
        store.save(&report, &labeller("v1")).unwrap();
        report.labels[0].themes.truncate(1);
        report.labels[0].stance = Stance::Weakness;
        store.save_labels(&report, &labeller("v2")).unwrap();
        assert_eq!(store.load(SHA_A).unwrap(), report);
        assert_eq!(store.index().unwrap()[SHA_A].classifier_version, "v2");
    }

    #[test]
    fn forgetting_removes_sentences_and_themes() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("s.sqlite")).unwrap();
        store
            .save(&sample(SHA_A, "in/a.pdf"), &labeller("v1"))
            .unwrap();
        store
            .save(&sample(SHA_B, "other/b.pdf"), &labeller("v1"))
            .unwrap();
        assert_eq!(
            store.find(Path::new("in")).unwrap(),
            vec![SHA_A.to_string()]
        );
        assert_eq!(store.find(Path::new("bbbbbbbbbbbb")).unwrap(), vec![SHA_B]);
        assert!(store.find(Path::new("i")).unwrap().is_empty());
        assert!(store.forget(SHA_A).unwrap());
        assert!(!store.forget(SHA_A).unwrap());
        let orphans: i64 = store
            .conn
            .query_row(
                "SELECT (SELECT count(*) FROM sentences WHERE report_sha256 = ?1)
                      + (SELECT count(*) FROM sentence_themes WHERE report_sha256 = ?1)",
                [SHA_A],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(orphans, 0);
        assert_eq!(store.report_count().unwrap(), 1);
    }

    #[test]
    fn stores_that_cannot_be_used_are_refused_with_their_reason() {
        let dir = tempfile::tempdir().unwrap();
        let reason = |path: &Path| {
            let err = Store::open(path).err().expect("must be refused");
            err.downcast_ref::<StoreError>()
                .cloned()
                .unwrap_or_else(|| panic!("{err:#}"))
        };
        let newer = dir.path().join("newer.sqlite");
        drop(Store::open(&newer).unwrap());
        let conn = Connection::open(&newer).unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        drop(conn);
        assert_eq!(
            reason(&newer),
            StoreError::NewerSchema {
                found: SCHEMA_VERSION + 1,
                newest: SCHEMA_VERSION
            }
        );
        let foreign = dir.path().join("foreign.sqlite");
        Connection::open(&foreign)
            .unwrap()
            .execute_batch("CREATE TABLE t (x INTEGER)")
            .unwrap();
        assert_eq!(reason(&foreign), StoreError::NotAStore);
        let text = dir.path().join("notes.sqlite");
        std::fs::write(
            &text,
            "not a database, but long enough to have a header page".repeat(20),
        )
        .unwrap();
        assert_eq!(reason(&text), StoreError::NotADatabase);
    }

    #[test]
    fn a_second_open_is_refused_while_the_first_is_held() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sqlite");
        let first = Store::open(&path).unwrap();
        let err = Store::open(&path).err().expect("second open must fail");
        assert_eq!(
            err.downcast_ref::<StoreError>(),
            Some(&StoreError::InUse(path.clone())),
            "{err:#}"
        );
        drop(first);
        Store::open(&path).expect("free again once the first is dropped");
    }

    #[test]
    fn an_older_schema_is_upgraded_in_place_keeping_its_reports() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sqlite");
        let mut store = Store::open(&path).unwrap();
        store
            .save(&sample(SHA_A, "in/a.pdf"), &labeller("v1"))
            .unwrap();
        // A later build's schema: this one's plus a step that adds a column and fills it.
        let mut later: Vec<&str> = MIGRATIONS.to_vec();
        later.push(
            "ALTER TABLE reports ADD COLUMN note TEXT NOT NULL DEFAULT '';
             UPDATE reports SET note = 'upgraded';",
        );
        migrate(&mut store.conn, &later).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION + 1);
        let note: String = store
            .conn
            .query_row("SELECT note FROM reports", [], |row| row.get(0))
            .unwrap();
        assert_eq!(note, "upgraded");
        assert_eq!(store.load(SHA_A).unwrap(), sample(SHA_A, "in/a.pdf"));
        // A step that fails leaves the store at the version before it.
        later.push("ALTER TABLE no_such_table ADD COLUMN x TEXT;");
        let err = migrate(&mut store.conn, &later).unwrap_err();
        assert!(format!("{err:#}").contains("upgrading the store from schema version"));
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION + 1);
        // And this build refuses the later store rather than misread it.
        drop(store);
        let err = Store::open(&path).err().expect("a newer store is refused");
        assert!(
            format!("{err:#}").contains("newer ofsted-themes"),
            "{err:#}"
        );
    }

    fn entry(source: &str, extractor: &str, classifier_version: &str) -> StoredEntry {
        StoredEntry {
            source: source.into(),
            extractor_version: extractor.into(),
            classifier_version: classifier_version.into(),
            taxonomy_version: "t1".into(),
        }
    }

    #[test]
    fn plan_sorts_inputs_into_new_moved_relabel_and_unchanged() {
        let input = |p: &str, sha: &str| (PathBuf::from(p), sha.to_string());
        let index: HashMap<String, StoredEntry> = [
            ("a".to_string(), entry("in/a.pdf", EXTRACTOR_VERSION, "v1")),
            ("b".to_string(), entry("old/b.pdf", EXTRACTOR_VERSION, "v1")),
            ("c".to_string(), entry("in/c.pdf", EXTRACTOR_VERSION, "v0")),
            (
                "d".to_string(),
                entry("gone/d.pdf", EXTRACTOR_VERSION, "v0"),
            ),
            ("e".to_string(), entry("in/e.pdf", "0.0.0-old", "v1")),
            ("f".to_string(), entry("gone/f.pdf", "0.0.0-old", "v0")),
        ]
        .into();
        let inputs = vec![
            input("in/a.pdf", "a"),
            input("in/b-renamed.pdf", "b"),
            input("in/c.pdf", "c"),
            input("in/copy-of-new.pdf", "n"),
            input("in/e.pdf", "e"),
            input("in/new.pdf", "n"),
        ];
        let plan = plan(&inputs, &index, &labeller("v1"));
        assert_eq!(plan.new, vec![PathBuf::from("in/copy-of-new.pdf")]);
        assert_eq!(plan.reread, vec![PathBuf::from("in/e.pdf")]);
        // d and f are not inputs but still re-labelled, so every output row has one labeller.
        assert_eq!(plan.relabel, vec!["c", "d", "f"]);
        assert_eq!(plan.moved, vec![("b".into(), "in/b-renamed.pdf".into())]);
        assert_eq!(plan.unchanged, 2);
        assert_eq!(plan.stale_not_given, 1);
    }
}
