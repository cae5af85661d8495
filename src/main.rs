//! The `cashgate` command: parses arguments, sets up logging and hands
//! over to the library. Nothing else lives here.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use cashgate::clock::Clock;
use cashgate::config::Settings;

/// jemalloc instead of glibc's malloc: sled keeps one small allocation per
/// page of every tree, and with a million payments stored glibc's arenas
/// held about 15% more memory at peak than jemalloc for the same load
/// (408 against 354 MiB, `scripts/load` on the development machine).
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[derive(Parser)]
#[command(
    name = "cashgate",
    version,
    about = "Vodafone Cash payments to WHMCS credits, exactly once"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the daemon (built-in defaults without --config).
    Serve {
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Print the payment state diagram (Mermaid; --dot for Graphviz).
    Diagram {
        #[arg(long)]
        dot: bool,
    },
    /// Try it: the daemon on a temporary folder with a simulated WHMCS and a
    /// demo store; prints the pay page's address.
    Demo {
        /// Hold payments for an approver (the approval link is printed).
        #[arg(long)]
        anti_spam: bool,
        #[arg(long, value_name = "ADDRESS", default_value = "127.0.0.1:8080")]
        listen: std::net::SocketAddr,
    },
    /// Manage stores in the data folder while the daemon is stopped.
    Store {
        #[command(subcommand)]
        command: StoreCommand,
    },
    /// Copy the data folder consistently into a new or empty folder
    /// (through the running daemon when it holds the folder).
    Backup {
        #[arg(long, value_name = "DIR")]
        to: PathBuf,
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Restore a backup into a new or empty data folder, then verify it.
    Restore {
        #[arg(long, value_name = "DIR")]
        from: PathBuf,
        #[arg(long, value_name = "DIR")]
        data_dir: PathBuf,
    },
    /// Check every stored invariant of a stopped data folder (or a backup).
    Verify {
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Another folder than the configured data folder (e.g. a backup).
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum StoreCommand {
    /// Create or replace a store from a JSON file, as the admin PUT does.
    Put {
        id: String,
        file: PathBuf,
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Prove a store's WHMCS settings (URL, credentials, IP whitelisting,
    /// AddCredit, GetCredits, ApplyCredit and GetInvoice permissions) with
    /// calls that change nothing.
    Check {
        id: String,
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    // Before anything is created: every file and folder owner-only.
    cashgate::data_dir::privacy::restrict_umask();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Diagram { dot } => {
            let text = if dot {
                cashgate::machine::render_dot()
            } else {
                cashgate::machine::render_mermaid()
            };
            print!("{text}");
            Ok(())
        }
        Command::Serve { config } => serve(config),
        Command::Demo { anti_spam, listen } => {
            cashgate::demo::run(&cashgate::demo::DemoOptions { listen, anti_spam })
        }
        Command::Store {
            command: StoreCommand::Put { id, file, config },
        } => cashgate::cli::store_put(config.as_deref(), &id, &file),
        Command::Store {
            command: StoreCommand::Check { id, config },
        } => cashgate::cli::store_check(config.as_deref(), &id),
        Command::Backup { to, config } => cashgate::cli::backup(config.as_deref(), &to),
        Command::Restore { from, data_dir } => cashgate::cli::restore(&from, &data_dir),
        Command::Verify { config, data_dir } => {
            cashgate::cli::verify(config.as_deref(), data_dir.as_deref())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("cashgate: {message}");
            ExitCode::FAILURE
        }
    }
}

fn serve(config: Option<PathBuf>) -> Result<(), String> {
    let settings = Settings::load(config.as_deref()).map_err(|e| e.to_string())?;
    cashgate::cli::init_logging(&settings.log);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let shutdown = cashgate::cli::shutdown_signal();
        let listener = tokio::net::TcpListener::bind(settings.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", settings.listen))?;
        cashgate::daemon::run(settings, listener, Clock::System, shutdown)
            .await
            .map_err(|e| e.to_string())
    })
}
