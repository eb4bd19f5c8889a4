// The load of bench/policy-bench.ts as Postfix makes it: small C clients, one request in flight per
// connection, each asking again when its answer comes (closed loop) or when its next request falls
// due (open loop, --rate). A load generator in Node shares the two cores with the service and adds its
// own garbage-collection pauses to every latency it measures; Postfix's smtpd processes are C and add
// none. policy-bench.ts compiles this with the system's cc and falls back to its own loop without one.
//
//   policy-load HOST PORT CONNECTIONS RATE WARMUP REQUESTS DURATION_MS SUBMISSION PROBES_FILE
//
// PROBES_FILE: per request, one byte of the expected decision ('d' dunno, 'r' reject), its length as
// 4 bytes little-endian, and the request's bytes (with SUBMISSION=1 without the final blank line: an
// "instance=C.N" line of its own and the blank line are written at send time, a new message each).
// Prints one JSON line: the latencies (ms, sorted percentiles), replies by kind, mismatches, errors.
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

typedef struct {
  char expect;
  uint32_t len;
  char *bytes;
} Probe;

typedef struct {
  int fd;
  size_t next;
  size_t current;
  double sentAt;
  double due;
  int inFlight;
  unsigned long sent;
  char buf[4096];
  size_t have;
} Conn;

// The run's state, shared by main() and sendNext().
static Probe *probes;
static size_t nprobes;
static Conn *conns;
static int nconn, submission, stopping;
static double rate, interval;
static long errors;

static double nowMs(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmpDouble(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double percentile(const double *sorted, size_t n, double p) {
  if (n == 0) return 0;
  size_t i = (size_t)((p / 100.0) * n + 0.999999999);
  if (i < 1) i = 1;
  if (i > n) i = n;
  return sorted[i - 1];
}

// 'd' dunno, 'f' defer, 'r' reject, 'o' other; as classify() in policy-bench.ts.
static char classify(const char *action, size_t len) {
  if ((len == 5 && memcmp(action, "DUNNO", 5) == 0) || (len >= 2 && memcmp(action, "OK", 2) == 0)) return 'd';
  if (len >= 5 && memcmp(action, "DEFER", 5) == 0) return 'f';
  if (len >= 6 && memcmp(action, "REJECT", 6) == 0) return 'r';
  if (len >= 3 && (action[0] == '4' || action[0] == '5') && action[1] >= '0' && action[1] <= '9' && action[2] >= '0' && action[2] <= '9') return 'r';
  return 'o';
}

// Sends the connection's next request unless one is in flight or (open loop) it is not due yet.
// One sent at an answer after its due time counts from that due time (no coordinated omission).
static void sendNext(Conn *k, int atAnswer) {
  double t = nowMs();
  if (stopping || k->inFlight) return;
  if (rate > 0) {
    if (k->due == 0) k->due = t + ((k - conns) * interval) / nconn;
    if (t < k->due) return;
  }
  k->current = k->next;
  k->next = (k->next + 1) % nprobes;
  k->sentAt = rate > 0 && atAnswer ? k->due : t;
  k->due += interval;
  k->inFlight = 1;
  Probe *p = &probes[k->current];
  char inst[64];
  int il = submission ? snprintf(inst, sizeof inst, "instance=%ld.%lu\n\n", (long)(k - conns), ++k->sent) : 0;
  struct iovec iov[2] = {{p->bytes, p->len}, {inst, (size_t)il}};
  if (writev(k->fd, iov, il ? 2 : 1) != (ssize_t)(p->len + il)) errors++, stopping = 1;
}

int main(int argc, char **argv) {
  if (argc != 10) {
    fprintf(stderr, "usage: policy-load HOST PORT CONNECTIONS RATE WARMUP REQUESTS DURATION_MS SUBMISSION PROBES_FILE\n");
    return 2;
  }
  const char *host = argv[1], *port = argv[2];
  nconn = atoi(argv[3]);
  rate = atof(argv[4]);
  long warmup = atol(argv[5]), requests = atol(argv[6]);
  double durationMs = atof(argv[7]);
  submission = atoi(argv[8]);

  FILE *f = fopen(argv[9], "rb");
  if (!f) return perror("probes"), 2;
  size_t cap = 1024;
  probes = malloc(cap * sizeof(Probe));
  for (;;) {
    int e = fgetc(f);
    if (e == EOF) break;
    unsigned char l[4];
    if (fread(l, 1, 4, f) != 4) return fprintf(stderr, "probes: truncated\n"), 2;
    uint32_t len = l[0] | l[1] << 8 | l[2] << 16 | (uint32_t)l[3] << 24;
    char *b = malloc(len);
    if (fread(b, 1, len, f) != len) return fprintf(stderr, "probes: truncated\n"), 2;
    if (nprobes == cap) probes = realloc(probes, (cap *= 2) * sizeof(Probe));
    probes[nprobes++] = (Probe){(char)e, len, b};
  }
  fclose(f);
  if (nprobes == 0) return fprintf(stderr, "probes: none\n"), 2;

  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai;
  if (getaddrinfo(host, port, &hints, &ai) != 0) return fprintf(stderr, "cannot resolve %s\n", host), 2;
  int ep = epoll_create1(0);
  conns = calloc(nconn, sizeof(Conn));
  for (int c = 0; c < nconn; c++) {
    // Each address in turn ("localhost" may be ::1 first and the service on 127.0.0.1 only).
    int fd = -1;
    for (struct addrinfo *a = ai; a && fd < 0; a = a->ai_next) {
      fd = socket(a->ai_family, SOCK_STREAM, 0);
      if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) != 0) close(fd), fd = -1;
    }
    if (fd < 0) return perror("connect"), 2;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    conns[c].fd = fd;
    conns[c].next = (size_t)c * nprobes / nconn;
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)c};
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
  }
  freeaddrinfo(ai);

  double *lat = malloc((size_t)requests * sizeof(double));
  long warm = 0, measured = 0, mismatches = 0;
  long replies[4] = {0}; // dunno, reject, defer, other
  double measureStart = 0, measureEnd = 0;
  interval = rate > 0 ? nconn * 1000.0 / rate : 0;
  double start = nowMs();
  if (warmup == 0) measureStart = start;


  for (int c = 0; c < nconn; c++) sendNext(&conns[c], 0);
  struct epoll_event events[256];
  while (!stopping) {
    int timeoutMs = rate > 0 ? 1 : 1000;
    int n = epoll_wait(ep, events, 256, timeoutMs);
    if (n < 0 && errno != EINTR) return perror("epoll_wait"), 2;
    for (int i = 0; i < n && !stopping; i++) {
      Conn *k = &conns[events[i].data.u32];
      ssize_t r = read(k->fd, k->buf + k->have, sizeof k->buf - k->have);
      if (r <= 0) {
        if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        errors++, stopping = 1;
        break;
      }
      k->have += r;
      char *end = memmem(k->buf, k->have, "\n\n", 2);
      if (!end) continue;
      double t = nowMs();
      k->inFlight = 0;
      char *line = k->buf;
      char *nl = memchr(line, '\n', k->have);
      size_t alen = 0;
      const char *action = "";
      if (k->have >= 7 && memcmp(line, "action=", 7) == 0) action = line + 7, alen = nl - action;
      char kind = classify(action, alen);
      size_t used = end + 2 - k->buf;
      memmove(k->buf, k->buf + used, k->have - used);
      k->have -= used;
      if (warm < warmup) {
        if (++warm == warmup) measureStart = t;
      } else {
        replies[kind == 'd' ? 0 : kind == 'r' ? 1 : kind == 'f' ? 2 : 3]++;
        if (kind != probes[k->current].expect) mismatches++;
        lat[measured++] = t - k->sentAt;
        if (measured >= requests || t - measureStart >= durationMs) {
          measureEnd = t;
          stopping = 1;
          break;
        }
      }
      sendNext(k, 1);
    }
    if (rate > 0)
      for (int c = 0; c < nconn && !stopping; c++) sendNext(&conns[c], 0);
    if (nowMs() - start > durationMs * 2 + 60000) stopping = 1, errors++;
  }
  if (measureEnd == 0) measureEnd = nowMs();
  qsort(lat, measured, sizeof(double), cmpDouble);
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  double cpuMs = ru.ru_utime.tv_sec * 1e3 + ru.ru_utime.tv_usec / 1e3 + ru.ru_stime.tv_sec * 1e3 + ru.ru_stime.tv_usec / 1e3;
  printf("{\"cpuMs\":%.1f,\"measured\":%ld,\"elapsedMs\":%.3f,\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"p999\":%.3f,\"max\":%.3f,"
         "\"dunno\":%ld,\"reject\":%ld,\"defer\":%ld,\"other\":%ld,\"mismatches\":%ld,\"errors\":%ld}\n",
         cpuMs, measured, measureEnd - measureStart, percentile(lat, measured, 50), percentile(lat, measured, 90), percentile(lat, measured, 99),
         percentile(lat, measured, 99.9), measured ? lat[measured - 1] : 0, replies[0], replies[1], replies[2], replies[3], mismatches, errors);
  return 0;
}
