//! Walking a directory into a [`TreeManifest`] (feature `fs`): the walk,
//! the ignore patterns and the parallel hashing.
//!
//! See the [parent module](super) for what is recorded and skipped.

use std::ffi::OsStr;
use std::fs::{File, Metadata};
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use rayon::prelude::*;
use vouch_core::{DigestAlgorithm, Hasher};
use walkdir::WalkDir;

use super::{EntryKind, TreeEntry, TreeError, TreeManifest, TreePath};

/// Read buffer of a hashing task. A file smaller than this is read with one
/// `read`; larger files stream through it. 256 KiB keeps the system calls
/// per byte low on large files, and since buffers are recycled between
/// tasks there are only about as many as threads.
const READ_BUF: usize = 256 * 1024;

/// How [`TreeManifest::build`] walks a tree.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TreeOptions {
    /// Record anything named `.git` too (by default it is skipped at any
    /// depth).
    pub include_git: bool,
    /// Extra names, `*`-prefix / `*`-suffix patterns or relative paths to
    /// skip; see the [module documentation](super#what-is-skipped).
    pub ignore: Vec<String>,
    /// Threads hashing files: `None` (or `Some(0)`) uses the current rayon
    /// pool, by default one thread per core; `Some(n)` builds a pool of `n`
    /// threads for this call. The result never depends on it.
    pub threads: Option<usize>,
}

impl TreeManifest {
    /// Walks `root` and hashes every file under it (see the module docs for
    /// what is recorded and skipped).
    ///
    /// One thread of the pool walks the tree while the others hash what it
    /// has found; the result does not depend on the number of threads, and
    /// when several files fail the error returned is that of the first in
    /// path order (a failure of the walk itself comes before any).
    ///
    /// The tree must not change while it is read: a file written meanwhile
    /// may be recorded with its old content, its new one or a mix, or fail
    /// with [`TreeError::Changed`]. A file that is not the one the walk
    /// found when it is opened (a link at its path, a directory on its
    /// path swapped for a link, another file renamed over it, its size
    /// changed) fails with [`TreeError::Replaced`]: links are never
    /// followed, not even one swapped in after the walk.
    pub fn build(root: &Path, options: &TreeOptions) -> Result<Self, TreeError> {
        let filter = Filter::new(options)?;
        let entries = match options.threads {
            Some(threads) if threads > 0 => rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .map_err(|source| TreeError::ThreadPool { threads, source })?
                .install(|| walk_and_hash(root, &filter)),
            _ => walk_and_hash(root, &filter),
        }?;
        Self::from_sorted(entries)
    }

    /// Checks that the directory `root` holds exactly this manifest's tree
    /// when walked with `options` (use the options it was built with).
    ///
    /// The whole tree is hashed before comparing, so a mismatch
    /// ([`TreeError::Mismatch`]) lists every difference, not the first.
    pub fn verify_dir(&self, root: &Path, options: &TreeOptions) -> Result<(), TreeError> {
        let actual = TreeManifest::build(root, options)?;
        if actual.root == self.root {
            return Ok(());
        }
        Err(TreeError::Mismatch {
            root: root.to_path_buf(),
            diff: self.diff(&actual),
        })
    }
}

/// One ignore pattern, parsed.
#[derive(Debug)]
enum Pattern {
    Name(String),
    Prefix(String),
    Suffix(String),
    /// Components of a relative path.
    Path(Vec<String>),
}

impl Pattern {
    fn parse(pattern: &str) -> Result<Self, TreeError> {
        let invalid = || TreeError::InvalidIgnorePattern {
            pattern: pattern.to_owned(),
        };
        if pattern.contains('/') {
            if pattern.contains('*') {
                return Err(invalid());
            }
            let path = TreePath::new(pattern).map_err(|_| invalid())?;
            return Ok(Pattern::Path(
                path.as_str().split('/').map(str::to_owned).collect(),
            ));
        }
        if TreePath::check(pattern).is_err() {
            return Err(invalid());
        }
        match pattern.matches('*').count() {
            0 => Ok(Pattern::Name(pattern.to_owned())),
            1 => {
                if let Some(suffix) = pattern.strip_prefix('*') {
                    Ok(Pattern::Suffix(suffix.to_owned()))
                } else if let Some(prefix) = pattern.strip_suffix('*') {
                    Ok(Pattern::Prefix(prefix.to_owned()))
                } else {
                    Err(invalid())
                }
            }
            _ => Err(invalid()),
        }
    }

    /// `path` is the entry's full path, `depth` its number of components
    /// below the root, `name` its last component.
    fn matches(&self, path: &Path, depth: usize, name: &OsStr) -> bool {
        // Encoded bytes are a superset of UTF-8, so comparing them with a
        // UTF-8 pattern is exact, and names that are not UTF-8 can match.
        let bytes = name.as_encoded_bytes();
        match self {
            Pattern::Name(n) => bytes == n.as_bytes(),
            Pattern::Prefix(p) => bytes.starts_with(p.as_bytes()),
            Pattern::Suffix(s) => bytes.ends_with(s.as_bytes()),
            // The last `depth` components are the path below the root;
            // comparing from the end spares a `strip_prefix` per entry.
            Pattern::Path(parts) => {
                depth == parts.len()
                    && parts.iter().rev().zip(path.components().rev()).all(|(part, c)| {
                        matches!(c, Component::Normal(c) if c.as_encoded_bytes() == part.as_bytes())
                    })
            }
        }
    }
}

/// What the walk skips.
struct Filter {
    include_git: bool,
    patterns: Vec<Pattern>,
}

impl Filter {
    fn new(options: &TreeOptions) -> Result<Self, TreeError> {
        Ok(Filter {
            include_git: options.include_git,
            patterns: options
                .ignore
                .iter()
                .map(|p| Pattern::parse(p))
                .collect::<Result<_, _>>()?,
        })
    }

    fn skips(&self, path: &Path, depth: usize, name: &OsStr) -> bool {
        (!self.include_git && name == ".git")
            || self.patterns.iter().any(|p| p.matches(path, depth, name))
    }
}

/// A file or link found by the walk, to be hashed or read.
struct Job {
    path: TreePath,
    abs: PathBuf,
    /// What `lstat` said of a regular file during the walk (the file
    /// opened to be hashed must be this one, [`Walked::check`]); `None`
    /// for a symbolic link.
    walked: Option<Walked>,
}

/// A regular file as the walk saw it: device, inode and size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Walked {
    dev: u64,
    ino: u64,
    len: u64,
}

impl Walked {
    fn of(metadata: &Metadata) -> Self {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt as _;
            Walked {
                dev: metadata.dev(),
                ino: metadata.ino(),
                len: metadata.len(),
            }
        }
        #[cfg(not(unix))]
        Walked {
            dev: 0,
            ino: 0,
            len: metadata.len(),
        }
    }

    /// The file opened at `path` (its `fstat`) is the one the walk saw.
    fn check(self, path: &Path, opened: &Metadata) -> Result<(), TreeError> {
        let now = Walked::of(opened);
        let what = if (now.dev, now.ino) != (self.dev, self.ino) {
            "another file is at its path now"
        } else if now.len != self.len {
            "its size changed"
        } else {
            return Ok(());
        };
        Err(TreeError::Replaced {
            path: path.to_path_buf(),
            what,
        })
    }
}

/// Files the walk hands out at a time: enough to make the cost of a task
/// vanish, few enough that hashing starts at once. Each batch is itself a
/// parallel iterator, so a batch of a few huge files still spreads over
/// all threads.
const BATCH: usize = 64;

/// Walks `root` on this thread while the other threads of the current pool
/// hash what it has found, batch by batch, and returns the entries sorted.
fn walk_and_hash(root: &Path, filter: &Filter) -> Result<Vec<TreeEntry>, TreeError> {
    type Hashed = (TreePath, Result<EntryKind, TreeError>);
    let hashed: Mutex<Vec<Hashed>> = Mutex::new(Vec::new());
    let buffers = BufferPool(Mutex::new(Vec::new()));
    let walked = rayon::scope(|scope| {
        let spawn = |jobs: Vec<Job>| {
            let (hashed, buffers) = (&hashed, &buffers);
            scope.spawn(move |_| {
                let done: Vec<Hashed> = jobs
                    .into_par_iter()
                    .map_init(
                        || buffers.take(),
                        |buf, job| {
                            let kind = kind_of(&job, &mut buf.buf);
                            (job.path, kind)
                        },
                    )
                    .collect();
                lock(hashed).extend(done);
            });
        };
        let mut batch = Vec::with_capacity(BATCH);
        let walked = walk(root, filter, |job| {
            batch.push(job);
            if batch.len() == BATCH {
                spawn(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)));
            }
        });
        spawn(batch);
        walked
    });
    // A walk error comes first: the walk is sequential, so it is the same
    // error whatever the thread count.
    walked?;
    let mut hashed = hashed.into_inner().unwrap_or_else(PoisonError::into_inner);
    hashed.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    // Then the first failed file in path order, again independent of which
    // thread hashed what.
    hashed
        .into_iter()
        .map(|(path, kind)| kind.map(|kind| TreeEntry { path, kind }))
        .collect()
}

/// Read buffers recycled between rayon tasks, so that there are about as
/// many as threads rather than one per task: a fresh 256 KiB buffer costs
/// an allocation and page faults.
struct BufferPool(Mutex<Vec<Vec<u8>>>);

impl BufferPool {
    fn take(&self) -> PooledBuffer<'_> {
        let buf = lock(&self.0).pop().unwrap_or_else(|| vec![0u8; READ_BUF]);
        PooledBuffer { buf, pool: self }
    }
}

/// A buffer that goes back to its pool when the task holding it ends.
struct PooledBuffer<'a> {
    buf: Vec<u8>,
    pool: &'a BufferPool,
}

impl Drop for PooledBuffer<'_> {
    fn drop(&mut self) {
        lock(&self.pool.0).push(std::mem::take(&mut self.buf));
    }
}

/// Locks a mutex whose data stays valid even if a holder panicked (the
/// panic itself reaches the caller through `rayon::scope`).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Walks `root` (without following links below it), applying `filter`, and
/// hands every file and link to `found`, in walk order.
fn walk(root: &Path, filter: &Filter, mut found: impl FnMut(Job)) -> Result<(), TreeError> {
    // The root itself is followed when it is a link (walkdir does too, but
    // reports the root entry as the link, not as what it points to).
    let metadata = std::fs::metadata(root).map_err(|source| TreeError::ReadDir {
        path: root.to_path_buf(),
        source,
    })?;
    if !metadata.is_dir() {
        return Err(TreeError::NotADirectory {
            path: root.to_path_buf(),
        });
    }
    let walker = WalkDir::new(root)
        .follow_links(false)
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !filter.skips(e.path(), e.depth(), e.file_name()));
    for item in walker {
        let entry = item.map_err(|err| {
            let path = err.path().unwrap_or(root).to_path_buf();
            let source = err
                .into_io_error()
                .unwrap_or_else(|| io::Error::other("directory walk failed"));
            TreeError::ReadDir { path, source }
        })?;
        // The type comes from the directory entry itself (no `stat`), as
        // `lstat` would report it: links below the root are not followed.
        let file_type = entry.file_type();
        if entry.depth() == 0 || file_type.is_dir() {
            continue;
        }
        let symlink = if file_type.is_file() {
            false
        } else if file_type.is_symlink() {
            true
        } else {
            return Err(TreeError::SpecialFile {
                file_type: special_file_type(&file_type),
                path: entry.into_path(),
            });
        };
        let path = tree_path(root, entry.path())?;
        // `lstat` (links are not followed): who the file is, so the hashing
        // task can tell whether what it opens is still that file.
        let walked = if symlink {
            None
        } else {
            let metadata = entry.metadata().map_err(|err| {
                let source = err
                    .into_io_error()
                    .unwrap_or_else(|| io::Error::other("cannot inspect a file"));
                TreeError::ReadFile {
                    path: entry.path().to_path_buf(),
                    source,
                }
            })?;
            Some(Walked::of(&metadata))
        };
        found(Job {
            path,
            abs: entry.into_path(),
            walked,
        });
    }
    Ok(())
}

/// The `/`-joined UTF-8 path of `abs` relative to `root`.
fn tree_path(root: &Path, abs: &Path) -> Result<TreePath, TreeError> {
    let rel = abs.strip_prefix(root).unwrap_or(abs);
    let mut out = String::with_capacity(rel.as_os_str().len());
    for component in rel.components() {
        let part = match component {
            Component::Normal(part) => part.to_str(),
            // A walk below `root` yields only normal components.
            _ => None,
        }
        .ok_or_else(|| TreeError::NonUtf8Path {
            path: abs.to_path_buf(),
        })?;
        if !out.is_empty() {
            out.push('/');
        }
        out.push_str(part);
    }
    TreePath::new(out)
}

fn special_file_type(file_type: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_socket() {
            return "socket";
        }
        if file_type.is_fifo() {
            return "fifo";
        }
        if file_type.is_block_device() {
            return "block device";
        }
        if file_type.is_char_device() {
            return "character device";
        }
    }
    let _ = file_type;
    "special file"
}

fn kind_of(job: &Job, buf: &mut [u8]) -> Result<EntryKind, TreeError> {
    if let Some(walked) = job.walked {
        return hash_file(&job.abs, walked, buf);
    }
    let target = std::fs::read_link(&job.abs).map_err(|source| TreeError::ReadLink {
        path: job.abs.clone(),
        source,
    })?;
    let target =
        target
            .into_os_string()
            .into_string()
            .map_err(|_| TreeError::NonUtf8LinkTarget {
                path: job.abs.clone(),
            })?;
    Ok(EntryKind::Symlink { target })
}

/// Opens a file the walk found, refusing a symbolic link at its path
/// (`O_NOFOLLOW`: a link swapped in after the walk would be hashed as
/// the file it points to, which may be outside the tree) and never
/// blocking on a FIFO swapped in (`O_NONBLOCK`; it is then refused as not
/// a regular file).
fn open_no_follow(path: &Path) -> Result<File, TreeError> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use rustix::fs::OFlags;
        use std::os::unix::fs::OpenOptionsExt as _;
        let flags = OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY;
        // OFlags are the C int flags; the bits always fit an i32.
        options.custom_flags(i32::try_from(flags.bits()).unwrap_or(0));
    }
    options.open(path).map_err(|source| {
        #[cfg(unix)]
        if source.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) {
            return TreeError::Replaced {
                path: path.to_path_buf(),
                what: "a symbolic link is at its path now",
            };
        }
        TreeError::ReadFile {
            path: path.to_path_buf(),
            source,
        }
    })
}

fn hash_file(path: &Path, walked: Walked, buf: &mut [u8]) -> Result<EntryKind, TreeError> {
    let read_err = |source| TreeError::ReadFile {
        path: path.to_path_buf(),
        source,
    };
    let mut file = open_no_follow(path)?;
    // `fstat` on the open file: the bits belong to what is actually read.
    let metadata = file.metadata().map_err(read_err)?;
    if !metadata.is_file() {
        return Err(TreeError::Changed {
            path: path.to_path_buf(),
        });
    }
    // The same file as the walk's: an intermediate directory swapped for
    // a link, or a file renamed over this one, is refused here.
    walked.check(path, &metadata)?;
    let mut hasher = Hasher::new(DigestAlgorithm::Sha256);
    let expected = metadata.len();
    let mut size = 0u64;
    loop {
        match file.read(buf) {
            Ok(0) => break,
            Ok(n) => {
                // `Read` guarantees n <= buf.len().
                hasher.update(&buf[..n]);
                size += n as u64;
                // A short read that reaches the size `fstat` gave is the end
                // of a regular file; skipping the read that would return 0
                // saves a system call per file, which is most files.
                if n < buf.len() && size == expected {
                    break;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(read_err(e)),
        }
    }
    Ok(EntryKind::File {
        size,
        digest: hasher.finish(),
        executable: executable(&metadata),
    })
}

#[cfg(unix)]
fn executable(metadata: &Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    metadata.permissions().mode() & 0o100 != 0
}

#[cfg(not(unix))]
fn executable(_metadata: &Metadata) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "vouch-manifest-tree-fs-{}-{name}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// The jobs a walk of `root` hands out, before any is hashed.
    fn walked(root: &Path) -> Vec<Job> {
        let filter = Filter::new(&TreeOptions::default()).unwrap();
        let mut jobs = Vec::new();
        walk(root, &filter, |job| jobs.push(job)).unwrap();
        jobs.sort_by(|a, b| a.path.cmp(&b.path));
        jobs
    }

    fn replaced(r: Result<EntryKind, TreeError>) -> &'static str {
        match r {
            Err(TreeError::Replaced { what, .. }) => what,
            other => panic!("{other:?}"),
        }
    }

    /// Between the walk and the hashing, a file is swapped for a link to
    /// a file outside the tree, a directory for a link to a directory
    /// outside, a file for another file, a file grows: each is refused,
    /// and an untouched file still hashes.
    #[cfg(unix)]
    #[test]
    fn files_swapped_after_the_walk_are_refused() {
        let base = scratch("swap");
        let (root, outside) = (base.join("root"), base.join("outside"));
        std::fs::create_dir_all(root.join("dir")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join("secret"), b"not in the tree").unwrap();
        std::fs::write(outside.join("f"), b"not in the tree").unwrap();
        for name in ["link", "renamed", "grows", "same"] {
            std::fs::write(root.join(name), b"tree").unwrap();
        }
        std::fs::write(root.join("dir/f"), b"tree").unwrap();
        let jobs = walked(&root);
        let names: Vec<&str> = jobs.iter().map(|j| j.path.as_str()).collect();
        assert_eq!(names, ["dir/f", "grows", "link", "renamed", "same"]);

        std::fs::remove_file(root.join("link")).unwrap();
        std::os::unix::fs::symlink(outside.join("secret"), root.join("link")).unwrap();
        std::fs::rename(root.join("dir"), base.join("moved")).unwrap();
        std::os::unix::fs::symlink(&outside, root.join("dir")).unwrap();
        std::fs::write(base.join("new"), b"tree").unwrap();
        std::fs::rename(base.join("new"), root.join("renamed")).unwrap();
        std::fs::write(root.join("grows"), b"tree and more").unwrap();

        let mut buf = vec![0; 64];
        let kind = |name: &str, buf: &mut Vec<u8>| {
            let job = jobs.iter().find(|j| j.path.as_str() == name).unwrap();
            kind_of(job, buf)
        };
        assert_eq!(
            replaced(kind("link", &mut buf)),
            "a symbolic link is at its path now"
        );
        assert_eq!(
            replaced(kind("dir/f", &mut buf)),
            "another file is at its path now"
        );
        assert_eq!(
            replaced(kind("renamed", &mut buf)),
            "another file is at its path now"
        );
        assert_eq!(replaced(kind("grows", &mut buf)), "its size changed");
        assert!(matches!(
            kind("same", &mut buf),
            Ok(EntryKind::File { size: 4, .. })
        ));
        std::fs::remove_dir_all(base).unwrap();
    }

    /// A FIFO swapped in for a file is refused at once, not waited on.
    #[cfg(unix)]
    #[test]
    fn a_fifo_swapped_in_does_not_block() {
        let root = scratch("fifo");
        std::fs::write(root.join("f"), b"x").unwrap();
        let jobs = walked(&root);
        std::fs::remove_file(root.join("f")).unwrap();
        rustix::fs::mkfifoat(
            rustix::fs::CWD,
            root.join("f"),
            rustix::fs::Mode::from_raw_mode(0o600),
        )
        .unwrap();
        let mut buf = vec![0; 64];
        assert!(matches!(
            kind_of(&jobs[0], &mut buf),
            Err(TreeError::Changed { .. })
        ));
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn patterns() {
        let m = |pat: &str, rel: &str| {
            let p = Pattern::parse(pat).unwrap();
            let full = Path::new("/some/root").join(rel);
            let depth = Path::new(rel).components().count();
            p.matches(&full, depth, full.file_name().unwrap())
        };
        assert!(m("target", "target"));
        assert!(m("target", "a/b/target"));
        assert!(!m("target", "targets"));
        assert!(m("*.o", "x/y.o"));
        assert!(!m("*.o", "x/y.oo"));
        assert!(m("build-*", "build-1"));
        assert!(!m("build-*", "a-build-1"));
        assert!(m("docs/gen", "docs/gen"));
        assert!(!m("docs/gen", "x/docs/gen"));
        assert!(!m("docs/gen", "docs/gen/x"));
        assert!(m("*", "anything"));
        for bad in [
            "", "a*b", "*a*", "**", "a/*", "/abs", "a/../b", "..", "a\\b", "a/",
        ] {
            assert!(
                matches!(
                    Pattern::parse(bad),
                    Err(TreeError::InvalidIgnorePattern { .. })
                ),
                "{bad:?}"
            );
        }
    }
}
