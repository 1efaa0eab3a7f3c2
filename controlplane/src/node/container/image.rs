//! Image profiles: the files an image ships and the environment its config sets, by the
//! repository's short name (`nginx`, `busybox`, ...). Every image gets a small Linux tree;
//! a few add what the docs' examples read (nginx's welcome page and configuration).

use super::fs::Fs;

/// The `PATH` of the images' configs.
pub const PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

const DIRS: &[&str] = &[
    "/bin",
    "/dev",
    "/etc",
    "/home",
    "/proc",
    "/root",
    "/run",
    "/sys",
    "/tmp",
    "/usr",
    "/usr/bin",
    "/usr/local",
    "/usr/local/bin",
    "/usr/sbin",
    "/sbin",
    "/var",
    "/var/log",
    "/var/run",
    "/var/tmp",
];

const PASSWD: &str = "root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1:daemon:/usr/sbin:/bin/false\nbin:x:2:2:bin:/bin:/bin/false\nsys:x:3:3:sys:/dev:/bin/false\nsync:x:4:100:sync:/bin:/bin/sync\nmail:x:8:8:mail:/var/spool/mail:/bin/false\nwww-data:x:33:33:www-data:/var/www:/bin/false\noperator:x:37:37:Operator:/var:/bin/false\nnobody:x:65534:65534:nobody:/home:/bin/false\n";

const GROUP: &str = "root:x:0:\ndaemon:x:1:\nbin:x:2:\nsys:x:3:\nadm:x:4:\ntty:x:5:\ndisk:x:6:\nlp:x:7:\nmail:x:8:\nkmem:x:9:\nwheel:x:10:root\ncdrom:x:11:\ndialout:x:18:\nfloppy:x:19:\nvideo:x:28:\naudio:x:29:\ntape:x:32:\nwww-data:x:33:\noperator:x:37:\nutmp:x:43:\nplugdev:x:46:\nstaff:x:50:\nlock:x:54:\nnetdev:x:82:\nusers:x:100:\nnobody:x:65534:\n";

const NGINX_INDEX: &str = "<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to nginx!</title>\n<style>\nhtml { color-scheme: light dark; }\nbody { width: 35em; margin: 0 auto;\nfont-family: Tahoma, Verdana, Arial, sans-serif; }\n</style>\n</head>\n<body>\n<h1>Welcome to nginx!</h1>\n<p>If you see this page, the nginx web server is successfully installed and\nworking. Further configuration is required.</p>\n\n<p>For online documentation and support please refer to\n<a href=\"http://nginx.org/\">nginx.org</a>.<br/>\nCommercial support is available at\n<a href=\"http://nginx.com/\">nginx.com</a>.</p>\n\n<p><em>Thank you for using nginx.</em></p>\n</body>\n</html>\n";

const NGINX_DEFAULT_CONF: &str = "server {\n    listen       80;\n    listen  [::]:80;\n    server_name  localhost;\n\n    location / {\n        root   /usr/share/nginx/html;\n        index  index.html index.htm;\n    }\n\n    error_page   500 502 503 504  /50x.html;\n    location = /50x.html {\n        root   /usr/share/nginx/html;\n    }\n}\n";

/// The file system a container of `image` (its short name) starts from. Built once per image
/// and thread, then copied: a copy of the finished tree is far cheaper than making every
/// directory again for each container.
pub fn files(image: &str) -> Fs {
    thread_local! {
        static BUILT: crate::memo::Table<Fs> = crate::memo::Table::default();
    }
    // Image names come from manifests; the table stays small whatever they are.
    crate::memo::remembered(&BUILT, 256, image, || build(image))
}

fn build(image: &str) -> Fs {
    let mut fs = Fs::new();
    for d in DIRS {
        let _ = fs.mkdir(d, true);
    }
    let _ = fs.write("/etc/passwd", PASSWD.as_bytes(), false);
    let _ = fs.write("/etc/group", GROUP.as_bytes(), false);
    match image {
        "nginx" | "nginx-slim" => {
            let _ = fs.mkdir("/usr/share/nginx/html", true);
            let _ = fs.mkdir("/etc/nginx/conf.d", true);
            let _ = fs.write("/usr/share/nginx/html/index.html", NGINX_INDEX.as_bytes(), false);
            let _ = fs.write("/etc/nginx/conf.d/default.conf", NGINX_DEFAULT_CONF.as_bytes(), false);
        }
        "httpd" => {
            let _ = fs.mkdir("/usr/local/apache2/htdocs", true);
            let _ = fs.write(
                "/usr/local/apache2/htdocs/index.html",
                b"<html><body><h1>It works!</h1></body></html>\n",
                false,
            );
        }
        _ => {}
    }
    fs
}

/// The name [`default_command`] knows a normalized reference's image config by: its short
/// name, but for a repository whose short name another's shares.
pub fn config_name(full: &str) -> &str {
    match crate::node::runtime::images::repository(full) {
        "docker.io/vish/stress" => "vish/stress",
        _ => crate::node::runtime::behaviour::short_name(full),
    }
}

/// What an image's config runs when the container gives no command: its `Entrypoint` and
/// `Cmd`, by the repository's short name ([`config_name`]). Images not listed have neither
/// here: with no command they run a program kubesim does not know.
pub fn default_command(image: &str) -> (&'static [&'static str], &'static [&'static str]) {
    match image {
        "vish/stress" => (&["/stress", "-logtostderr"], &[]),
        "nginx" => (&["/docker-entrypoint.sh"], &["nginx", "-g", "daemon off;"]),
        "nginx-slim" => (&[], &["nginx", "-g", "daemon off;"]),
        "redis" => (&["docker-entrypoint.sh"], &["redis-server"]),
        "httpd" => (&[], &["httpd-foreground"]),
        "hpa-example" | "php" => (&["docker-php-entrypoint"], &["apache2-foreground"]),
        "agnhost" => (&["/agnhost"], &[]),
        "hello-app" => (&["/hello-app"], &[]),
        "node-hello" => (&[], &["node", "server.js"]),
        // registry.k8s.io/serve_hostname, agnhost's serve-hostname before agnhost.
        "serve_hostname" => (&["/serve_hostname"], &[]),
        "http-echo" => (&["/http-echo"], &[]),
        "coredns" => (&["/coredns"], &[]),
        // registry.k8s.io/ingress-nginx/controller
        "controller" => (&["/usr/bin/dumb-init", "--"], &["/nginx-ingress-controller"]),
        "pause" => (&["/pause"], &[]),
        "kube-webhook-certgen" => (&["/kube-webhook-certgen"], &[]),
        "busybox" => (&[], &["sh"]),
        "alpine" => (&[], &["/bin/sh"]),
        "ubuntu" | "debian" | "centos" | "fedora" | "rockylinux" | "almalinux" | "amazonlinux" | "bash" => {
            (&[], &["bash"])
        }
        "perl" => (&[], &["perl", "-de0"]),
        "python" => (&[], &["python3"]),
        "node" => (&["docker-entrypoint.sh"], &["node"]),
        "hello-world" => (&[], &["/hello"]),
        _ => (&[], &[]),
    }
}

/// The words a container runs: `command` and `args` over the image's entrypoint and cmd, as
/// the runtime merges them (`args` alone replace `Cmd`; `command` replaces both).
pub fn resolve_command(image: &str, command: &[String], args: &[String]) -> Vec<String> {
    let (entrypoint, cmd) = default_command(image);
    if !command.is_empty() {
        return command.iter().chain(args).cloned().collect();
    }
    let tail: Vec<String> = if args.is_empty() { cmd.iter().map(|s| s.to_string()).collect() } else { args.to_vec() };
    entrypoint.iter().map(|s| s.to_string()).chain(tail).collect()
}
