// The scanner's file system calls relative to open directory descriptors (openat, fstatat,
// getdents64), which Node's fs does not offer. Two reasons, both measured on the scan path:
// - safety without detours: a directory opened with O_NOFOLLOW is read through its own descriptor,
//   so a component swapped for a symlink after it was checked is never followed (Node can only do
//   that through /proc/self/fd/N paths: two opens and a procfs lookup per directory);
// - fewer system calls: a listing is openat + getdents64 + close (readdirSync adds fstat and a
//   second open through /proc), and a probe is one fstatat without a Stats object.
// No rules live here: the walk (server/core/maildir/walk.ts) decides what to call and what counts.
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/inotify.h>
#include <sys/syscall.h>
#endif

#define CHECK(call)                                                                                                    \
  do {                                                                                                                 \
    if ((call) != napi_ok) return NULL;                                                                                \
  } while (0)

// Kinds as walk.ts names them: the order is part of the interface (see jobs/scan/native-dirs.ts).
enum { KIND_MISSING = 0, KIND_DIR = 1, KIND_FILE = 2, KIND_SYMLINK = 3, KIND_OTHER = 4 };

static int kind_of_mode(mode_t m) {
  if (S_ISDIR(m)) return KIND_DIR;
  if (S_ISREG(m)) return KIND_FILE;
  if (S_ISLNK(m)) return KIND_SYMLINK;
  return KIND_OTHER;
}

static napi_value int_value(napi_env env, int64_t n) {
  napi_value v;
  CHECK(napi_create_int64(env, n, &v));
  return v;
}

static int arg_int(napi_env env, napi_value v, int32_t *out) { return napi_get_value_int32(env, v, out) == napi_ok; }

// A path argument: one that fits `cap` (a longer one would be cut), without NUL.
static int arg_path(napi_env env, napi_value v, char *buf, size_t cap) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, buf, cap, &len) != napi_ok) return 0;
  return len < cap - 1 && strlen(buf) == len;
}

// A name argument: one path component, not empty, not "." or "..".
static int arg_name(napi_env env, napi_value v, char *buf, size_t cap) {
  return arg_path(env, v, buf, cap) && buf[0] != 0 && !strchr(buf, '/') && strcmp(buf, ".") != 0 && strcmp(buf, "..") != 0;
}

static napi_value type_error(napi_env env, const char *msg) {
  napi_throw_type_error(env, NULL, msg);
  return NULL;
}

static double *stat_out(napi_env env, napi_value v) {
  napi_typedarray_type type;
  size_t length;
  void *data;
  if (napi_get_typedarray_info(env, v, &type, &length, &data, NULL, NULL) != napi_ok || type != napi_float64_array || length < 3) return NULL;
  return data;
}

// ENOENT, and ENOTDIR when a parent was replaced by a file meanwhile: both mean "not there".
static napi_value stat_failed(napi_env env) {
  if (errno == ENOENT || errno == ENOTDIR) return int_value(env, KIND_MISSING);
  return int_value(env, -errno);
}

static napi_value stat_done(napi_env env, const struct stat *st, double *out) {
  out[0] = (double)st->st_mtim.tv_sec;
  out[1] = (double)st->st_mtim.tv_nsec;
  out[2] = (double)st->st_size;
  return int_value(env, kind_of_mode(st->st_mode));
}

// openRoot(path) -> fd or -errno. MAIL_ROOT itself is configuration and may be a symlink.
static napi_value open_root(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  char path[4096];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || !arg_path(env, argv[0], path, sizeof path)) return type_error(env, "openRoot(path)");
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  return int_value(env, fd < 0 ? -errno : fd);
}

// openAt(dirFd, name) -> fd or -errno: the directory `name` inside dirFd, never through a symlink
// (ELOOP), never anything but a directory (ENOTDIR).
static napi_value open_at(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t dirfd;
  char name[256];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || !arg_int(env, argv[0], &dirfd) || !arg_name(env, argv[1], name, sizeof name)) return type_error(env, "openAt(fd, name)");
  int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  return int_value(env, fd < 0 ? -errno : fd);
}

// statAt(dirFd, name, out: Float64Array(3)) -> kind or -errno; ENOENT/ENOTDIR give KIND_MISSING.
// out = [mtime seconds, mtime nanoseconds, size]: the caller computes mtimeMs as Node's fs does.
static napi_value stat_at(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  int32_t dirfd;
  char name[256];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3 || !arg_int(env, argv[0], &dirfd) || !arg_name(env, argv[1], name, sizeof name)) return type_error(env, "statAt(fd, name, out)");
  double *out = stat_out(env, argv[2]);
  if (!out) return type_error(env, "statAt: out must be a Float64Array(3)");
  struct stat st;
  if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) return stat_failed(env);
  return stat_done(env, &st, out);
}

// lstat(path, out: Float64Array(3)) -> as statAt, by path: for the probes whose answer is never
// counted (see walk.ts), where opening the directories on the way would cost more than it protects.
static napi_value lstat_path(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  char path[4096];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || !arg_path(env, argv[0], path, sizeof path)) return type_error(env, "lstat(path, out)");
  double *out = stat_out(env, argv[1]);
  if (!out) return type_error(env, "lstat: out must be a Float64Array(3)");
  struct stat st;
  if (lstat(path, &st) < 0) return stat_failed(env);
  return stat_done(env, &st, out);
}

// d_type as a kind; DT_UNKNOWN (file systems that do not fill it) is asked of the inode.
static int kind_of_entry(int dirfd, const char *name, unsigned char d_type) {
  switch (d_type) {
    case DT_DIR: return KIND_DIR;
    case DT_REG: return KIND_FILE;
    case DT_LNK: return KIND_SYMLINK;
    case DT_UNKNOWN: {
      struct stat st;
      if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) return KIND_MISSING;
      return kind_of_mode(st.st_mode);
    }
    default: return KIND_OTHER;
  }
}

#ifdef __linux__
struct linux_dirent64 {
  uint64_t d_ino;
  int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};
#endif

// readEntries(fd, max, kinds: Uint8Array) -> names (at most `max`, fewer at the end; [] when done) or
// -errno. kinds[i] is the kind of names[i]. Reads on from where the last call on this fd stopped.
static napi_value read_entries(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  int32_t fd, max;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3 || !arg_int(env, argv[0], &fd) || !arg_int(env, argv[1], &max) || max <= 0) return type_error(env, "readEntries(fd, max, kinds)");
  napi_typedarray_type type;
  size_t cap;
  void *data;
  if (napi_get_typedarray_info(env, argv[2], &type, &cap, &data, NULL, NULL) != napi_ok || type != napi_uint8_array)
    return type_error(env, "readEntries: kinds must be a Uint8Array");
  uint8_t *kinds = data;
  if ((size_t)max > cap) max = (int32_t)cap;
  napi_value names;
  CHECK(napi_create_array(env, &names));
  uint32_t n = 0;
#ifdef __linux__
  // getdents64 cannot be asked for a count: when `max` is reached inside a buffer, the fd's offset is
  // set back to the first entry not returned (the d_off of the record before it).
  char buf[32768];
  int full = 0;
  while (!full) {
    long got = syscall(SYS_getdents64, fd, buf, sizeof buf);
    if (got < 0) return int_value(env, -errno);
    if (got == 0) break;
    int64_t last_off = 0;
    for (long pos = 0; pos < got;) {
      struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + pos);
      if (n == (uint32_t)max) {
        // Never the buffer's first record: a buffer is only read while n < max.
        if (lseek(fd, last_off, SEEK_SET) < 0) return int_value(env, -errno);
        full = 1;
        break;
      }
      pos += d->d_reclen;
      last_off = d->d_off;
      const char *nm = d->d_name;
      if (nm[0] == '.' && (nm[1] == 0 || (nm[1] == '.' && nm[2] == 0))) continue;
      napi_value s;
      CHECK(napi_create_string_utf8(env, nm, NAPI_AUTO_LENGTH, &s));
      CHECK(napi_set_element(env, names, n, s));
      kinds[n] = (uint8_t)kind_of_entry(fd, nm, d->d_type);
      n++;
    }
    if (n == (uint32_t)max) break;
  }
#else
  int dup_fd = dup(fd);
  if (dup_fd < 0) return int_value(env, -errno);
  DIR *dir = fdopendir(dup_fd);
  if (!dir) {
    close(dup_fd);
    return int_value(env, -errno);
  }
  // Portable fallback: one directory stream per call, positioned from the fd's offset.
  struct dirent *d;
  errno = 0;
  while (n < (uint32_t)max && (d = readdir(dir)) != NULL) {
    const char *nm = d->d_name;
    if (nm[0] == '.' && (nm[1] == 0 || (nm[1] == '.' && nm[2] == 0))) continue;
    napi_value s;
    CHECK(napi_create_string_utf8(env, nm, NAPI_AUTO_LENGTH, &s));
    CHECK(napi_set_element(env, names, n, s));
    kinds[n] = (uint8_t)kind_of_entry(fd, nm, d->d_type);
    n++;
  }
  long at = telldir(dir);
  closedir(dir);
  lseek(fd, at, SEEK_SET);
#endif
  return names;
}


#ifdef __linux__
// Change notification for the verification rounds (jobs/scan/disk-watch.ts): an inotify instance
// whose watches sit on each Maildir's root and cur/ and new/ directories.

// watchInit() -> fd or -errno (non-blocking: watchRead never waits).
static napi_value watch_init(napi_env env, napi_callback_info info) {
  int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  return int_value(env, fd < 0 ? -errno : fd);
}

// watchAdd(fd, path) -> wd or -errno: entries created, deleted or moved in the directory, or the
// directory itself moved or deleted. Never through a symlink, only a directory; the same directory
// twice gives the same wd.
static napi_value watch_add(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t fd;
  char path[4096];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || !arg_int(env, argv[0], &fd) || !arg_path(env, argv[1], path, sizeof path)) return type_error(env, "watchAdd(fd, path)");
  uint32_t mask = IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_MOVE_SELF | IN_DELETE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK;
  int wd = inotify_add_watch(fd, path, mask);
  return int_value(env, wd < 0 ? -errno : wd);
}

// watchRead(fd, out: Int32Array) -> how many wds were written to out (0 when nothing happened), or
// -errno. A wd of -1 means the kernel's queue overflowed: events were lost. Events not read because
// out is full stay queued for the next call.
static napi_value watch_read(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t fd;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  napi_typedarray_type type;
  size_t cap;
  void *data;
  if (argc < 2 || !arg_int(env, argv[0], &fd) || napi_get_typedarray_info(env, argv[1], &type, &cap, &data, NULL, NULL) != napi_ok ||
      type != napi_int32_array)
    return type_error(env, "watchRead(fd, out: Int32Array)");
  int32_t *out = data;
  size_t n = 0;
  // A read returns whole events only; with room for at least this many wds left, a buffer's worth fits.
  char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
  while (cap - n >= sizeof buf / sizeof(struct inotify_event)) {
    ssize_t got = read(fd, buf, sizeof buf);
    if (got < 0) {
      if (errno == EAGAIN) break;
      return int_value(env, -errno);
    }
    for (char *p = buf; p < buf + got;) {
      struct inotify_event *e = (struct inotify_event *)p;
      out[n++] = (e->mask & IN_Q_OVERFLOW) ? -1 : e->wd;
      p += sizeof(struct inotify_event) + e->len;
    }
  }
  return int_value(env, (int64_t)n);
}
#endif

// close(fd) -> 0 or -errno.
static napi_value close_fd(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || !arg_int(env, argv[0], &fd)) return type_error(env, "close(fd)");
  return int_value(env, close(fd) < 0 ? -errno : 0);
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
    {"openRoot", NULL, open_root, NULL, NULL, NULL, napi_enumerable, NULL},
    {"openAt", NULL, open_at, NULL, NULL, NULL, napi_enumerable, NULL},
    {"statAt", NULL, stat_at, NULL, NULL, NULL, napi_enumerable, NULL},
    {"lstat", NULL, lstat_path, NULL, NULL, NULL, napi_enumerable, NULL},
    {"readEntries", NULL, read_entries, NULL, NULL, NULL, napi_enumerable, NULL},
    {"close", NULL, close_fd, NULL, NULL, NULL, napi_enumerable, NULL},
#ifdef __linux__
    {"watchInit", NULL, watch_init, NULL, NULL, NULL, napi_enumerable, NULL},
    {"watchAdd", NULL, watch_add, NULL, NULL, NULL, napi_enumerable, NULL},
    {"watchRead", NULL, watch_read, NULL, NULL, NULL, napi_enumerable, NULL},
#endif
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}
