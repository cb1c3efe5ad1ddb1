//! Believable application log lines, chosen by container image.

use super::util::{MONTHS, now_unix, pick, rand_below, rfc3339_nanos, utc_parts};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    Redis,
    Nginx,
    Postgres,
    App,
}

pub fn flavor(image: &str) -> Flavor {
    let image = image.to_ascii_lowercase();
    let repo = image.rsplit('/').next().unwrap_or(&image);
    if repo.contains("redis") || repo.contains("valkey") {
        Flavor::Redis
    } else if ["nginx", "frontend", "httpd", "caddy", "web", "ui"]
        .iter()
        .any(|k| repo.contains(k))
    {
        Flavor::Nginx
    } else if repo.contains("postgres") {
        Flavor::Postgres
    } else {
        Flavor::App
    }
}

/// `27 Nov 2025 04:51:00.123`, the timestamp style redis prints.
fn redis_time() -> String {
    let (secs, nanos) = now_unix();
    let (y, mo, d, h, mi, s) = utc_parts(secs);
    format!(
        "{d:02} {} {y} {h:02}:{mi:02}:{s:02}.{:03}",
        MONTHS[(mo - 1) as usize],
        nanos / 1_000_000
    )
}

fn client_ip() -> String {
    format!("10.244.{}.{}", rand_below(4), 2 + rand_below(250))
}

pub fn startup_lines(f: Flavor, pod: &str, container: &str) -> Vec<String> {
    match f {
        Flavor::Redis => {
            let t = redis_time();
            vec![
                format!("1:C {t} # oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo"),
                format!("1:C {t} # Redis version=7.2.4, bits=64, commit=00000000, modified=0, pid=1, just started"),
                format!("1:C {t} # Warning: no config file specified, using the default config."),
                format!("1:M {t} * monotonic clock: POSIX clock_gettime"),
                format!("1:M {t} * Running mode=standalone, port=6379."),
                format!("1:M {t} * Server initialized"),
                format!("1:M {t} * Ready to accept connections tcp"),
            ]
        }
        Flavor::Nginx => vec![
            "/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration".into(),
            "/docker-entrypoint.sh: Launching /docker-entrypoint.d/20-envsubst-on-templates.sh".into(),
            "/docker-entrypoint.sh: Configuration complete; ready for start up".into(),
            format!("{} [notice] 1#1: using the \"epoll\" event method", nginx_error_time()),
            format!("{} [notice] 1#1: nginx/1.27.2", nginx_error_time()),
            format!("{} [notice] 1#1: start worker processes", nginx_error_time()),
        ],
        Flavor::Postgres => vec![
            "PostgreSQL Database directory appears to contain a database; Skipping initialization".into(),
            format!("{} UTC [1] LOG:  starting PostgreSQL 16.4 on x86_64-pc-linux-gnu", pg_time()),
            format!("{} UTC [1] LOG:  listening on IPv4 address \"0.0.0.0\", port 5432", pg_time()),
            format!("{} UTC [1] LOG:  database system is ready to accept connections", pg_time()),
        ],
        Flavor::App => vec![
            app_json("info", "starting service", &format!(r#""pod":"{pod}","container":"{container}","version":"1.4.2""#)),
            app_json("info", "loaded configuration", r#""source":"/etc/app/config.yaml""#),
            app_json("info", "connected to database", r#""host":"postgres:5432","pool_size":10"#),
            app_json("info", "http server listening", r#""addr":":8080""#),
        ],
    }
}

fn nginx_error_time() -> String {
    let (y, mo, d, h, mi, s) = utc_parts(now_unix().0);
    format!("{y:04}/{mo:02}/{d:02} {h:02}:{mi:02}:{s:02}")
}

fn pg_time() -> String {
    let (secs, nanos) = now_unix();
    let (y, mo, d, h, mi, s) = utc_parts(secs);
    format!(
        "{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}.{:03}",
        nanos / 1_000_000
    )
}

fn app_json(level: &str, msg: &str, extra: &str) -> String {
    let (secs, nanos) = now_unix();
    format!(
        r#"{{"time":"{}","level":"{level}","msg":"{msg}",{extra}}}"#,
        rfc3339_nanos(secs, nanos)
    )
}

pub fn next_line(f: Flavor) -> String {
    match f {
        Flavor::Redis => {
            let t = redis_time();
            match rand_below(6) {
                0 => format!("1:M {t} * 1 changes in 3600 seconds. Saving..."),
                1 => format!(
                    "1:M {t} * Background saving started by pid {}",
                    20 + rand_below(900)
                ),
                2 => format!("{}:C {t} * DB saved on disk", 20 + rand_below(900)),
                3 => format!("1:M {t} * Background saving terminated with success"),
                4 => format!(
                    "1:M {t} - Accepted {}:{}",
                    client_ip(),
                    30_000 + rand_below(30_000)
                ),
                _ => format!(
                    "1:M {t} - Client closed connection id={} addr={}:{}",
                    rand_below(500),
                    client_ip(),
                    30_000 + rand_below(30_000)
                ),
            }
        }
        Flavor::Nginx => {
            let (y, mo, d, h, mi, s) = utc_parts(now_unix().0);
            let month = MONTHS[(mo - 1) as usize];
            let path = pick(&[
                "/",
                "/index.html",
                "/api/items",
                "/api/cart",
                "/static/app.js",
                "/static/style.css",
                "/healthz",
                "/favicon.ico",
            ]);
            let status = match rand_below(20) {
                0 => 404,
                1 => 304,
                2 => 502,
                _ => 200,
            };
            let agent = pick(&[
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36",
                "kube-probe/1.34",
                "curl/8.5.0",
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4)",
            ]);
            format!(
                "{} - - [{d:02}/{month}/{y:04}:{h:02}:{mi:02}:{s:02} +0000] \"GET {path} HTTP/1.1\" {status} {} \"-\" \"{agent}\" \"-\"",
                client_ip(),
                120 + rand_below(4000)
            )
        }
        Flavor::Postgres => match rand_below(3) {
            0 => format!(
                "{} UTC [{}] LOG:  checkpoint starting: time",
                pg_time(),
                20 + rand_below(100)
            ),
            1 => format!(
                "{} UTC [{}] LOG:  checkpoint complete: wrote {} buffers",
                pg_time(),
                20 + rand_below(100),
                rand_below(200)
            ),
            _ => format!(
                "{} UTC [{}] LOG:  duration: {}.{:03} ms  statement: SELECT 1",
                pg_time(),
                100 + rand_below(900),
                rand_below(40),
                rand_below(1000)
            ),
        },
        Flavor::App => {
            let (method, path) = *pick(&[
                ("GET", "/api/v1/orders"),
                ("POST", "/api/v1/orders"),
                ("GET", "/api/v1/users/42"),
                ("PUT", "/api/v1/cart"),
                ("GET", "/api/v1/cart"),
                ("DELETE", "/api/v1/cart/items/7"),
                ("GET", "/healthz"),
                ("GET", "/api/v1/search?q=shoes"),
            ]);
            match rand_below(12) {
                0 => app_json(
                    "warn",
                    "slow request",
                    &format!(
                        r#""method":"{method}","path":"{path}","duration_ms":{}"#,
                        800 + rand_below(2000)
                    ),
                ),
                1 => app_json(
                    "error",
                    "upstream request failed",
                    r#""upstream":"payments:8080","error":"context deadline exceeded","retry":true"#,
                ),
                2 => app_json(
                    "debug",
                    "cache hit",
                    &format!(r#""key":"session:{}""#, rand_below(100_000)),
                ),
                _ => app_json(
                    "info",
                    "request completed",
                    &format!(
                        r#""method":"{method}","path":"{path}","status":{},"duration_ms":{},"remote":"{}""#,
                        if rand_below(15) == 0 { 500 } else { 200 },
                        1 + rand_below(120),
                        client_ip()
                    ),
                ),
            }
        }
    }
}
