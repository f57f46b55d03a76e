//! `clickpath-decode`: prints what a ClickPath session ID holds, as Apache2::ClickPath's
//! `decode-session.pl` did. Arguments: IDs, URLs or log lines (or stdin, one a line).
//!
//!   clickpath-decode [--tag PREFIX] [--secret URL] [--secret-iv TEXT] [--friendly FILE]
//!                    [--server-map FILE] [ID...]

use std::io::BufRead;
use std::process::ExitCode;

use mod_usertrack::core::clickpath::decode_report::{DecodeOptions, decode_report};
use mod_usertrack::core::clickpath::friendly_table::FriendlyTable;
use mod_usertrack::core::clickpath::machine_table::{MachineTable, resolve_ipv4};
use mod_usertrack::core::clickpath::secret::{DEFAULT_IV, SessionCipher, iv_from_argument, key_from_content};
use mod_usertrack::core::clickpath::secret_url::SecretSource;

const USAGE: &str = "usage: clickpath-decode [--tag PREFIX] [--secret data:...|file:...] [--secret-iv TEXT] [--friendly FILE] [--server-map FILE] [ID|URL|LOG-LINE...]";

/// `--help`: the options as the man page (debian/clickpath-decode.1) describes them.
const HELP: &str = "\
Prints what each Apache2::ClickPath session ID holds (as decode-session.pl did): one block of
fields per input, a blank line after each. Inputs are the arguments, or else the lines of stdin.

  --tag PREFIX       find the ID after PREFIX (ClickPathSessionPrefix, e.g. -S:) anywhere in
                     the input, up to the next '/': for URLs and log lines. Without it, each
                     input is the ID itself.
  --secret URL       the ClickPathSecret key: a data: or file: URL (not http or https)
  --secret-iv TEXT   the ClickPathSecretIV argument, quotes included (absent or empty: the
                     default IV)
  --friendly FILE    a <ClickPathFriendlySessions> table: adds remote_session and
                     remote_session_host for an ID with a friendly session the table knows
  --server-map FILE  a <ClickPathMachineTable> table: server_id is the named machine's address
  -h, --help         this text

Fields: session, server_name, server_id, creation_time (seconds and UTC), server_pid,
seq_number, connection_id, [remote_session, remote_session_host].
Exit status: 0 all inputs decoded, 1 one did not (a message on stderr), 2 a usage error or a
file or secret that cannot be read. See clickpath-decode(1).
";

struct Arguments {
    tag: Option<String>,
    secret: Option<String>,
    secret_iv: Option<String>,
    friendly: Option<String>,
    server_map: Option<String>,
    inputs: Vec<String>,
}

enum Command {
    Help,
    Decode(Arguments),
}

/// An argument that starts with `-` and has no `:` cannot hold an ID (every ID has one): it is
/// a mistyped option, refused rather than reported as "no session found".
fn is_unknown_option(arg: &str) -> bool {
    arg.starts_with('-') && !arg.contains(':')
}

fn parse_arguments() -> Result<Command, String> {
    let mut arguments = Arguments { tag: None, secret: None, secret_iv: None, friendly: None, server_map: None, inputs: Vec::new() };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value\n{USAGE}"));
        match arg.as_str() {
            "--tag" => arguments.tag = Some(value("--tag")?),
            "--secret" => arguments.secret = Some(value("--secret")?),
            "--secret-iv" => arguments.secret_iv = Some(value("--secret-iv")?),
            "--friendly" => arguments.friendly = Some(value("--friendly")?),
            "--server-map" => arguments.server_map = Some(value("--server-map")?),
            "-h" | "--help" => return Ok(Command::Help),
            _ if is_unknown_option(&arg) => return Err(format!("unknown option {arg}\n{USAGE}")),
            _ => arguments.inputs.push(arg),
        }
    }
    Ok(Command::Decode(arguments))
}

fn cipher(arguments: &Arguments) -> Result<Option<SessionCipher>, String> {
    let Some(url) = &arguments.secret else { return Ok(None) };
    let content = match SecretSource::parse(url.as_bytes()).map_err(|error| error.to_string())? {
        SecretSource::Data(content) => content,
        SecretSource::File(path) => std::fs::read(String::from_utf8_lossy(&path).as_ref()).map_err(|error| format!("{url}: {error}"))?,
    };
    // As the Perl decoder: an empty IV argument means the default IV.
    let iv = arguments.secret_iv.as_deref().filter(|iv| !iv.is_empty()).map_or(DEFAULT_IV, |iv| iv_from_argument(iv.as_bytes()));
    SessionCipher::new(&key_from_content(&content), iv).map(Some).map_err(|error| error.to_string())
}

fn read_file(path: &str) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|error| format!("{path}: {error}"))
}

fn run() -> Result<bool, String> {
    let arguments = match parse_arguments()? {
        Command::Help => {
            print!("{USAGE}\n\n{HELP}");
            return Ok(true);
        }
        Command::Decode(arguments) => arguments,
    };
    let cipher = cipher(&arguments)?;
    let friendly = match &arguments.friendly {
        Some(path) => Some(FriendlyTable::parse(&read_file(path)?)),
        None => None,
    };
    let server_map = match &arguments.server_map {
        Some(path) => {
            let (table, warnings) = MachineTable::parse_file(&read_file(path)?, resolve_ipv4);
            for warning in warnings {
                eprintln!("{path}: {warning}");
            }
            Some(table)
        }
        None => None,
    };
    let options = DecodeOptions {
        tag: arguments.tag.as_deref().map(str::as_bytes),
        cipher: cipher.as_ref(),
        friendly: friendly.as_ref(),
        server_map: server_map.as_ref(),
    };
    let inputs: Vec<String> = if arguments.inputs.is_empty() {
        std::io::stdin().lock().lines().map_while(Result::ok).collect()
    } else {
        arguments.inputs.clone()
    };
    let mut all_good = true;
    for input in inputs {
        match decode_report(input.as_bytes(), &options) {
            Ok(report) => println!("{report}"),
            Err(error) => {
                eprintln!("{input}: {error}");
                all_good = false;
            }
        }
    }
    Ok(all_good)
}

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::from(2)
        }
    }
}
