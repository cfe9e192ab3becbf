//! Man pages (`burrow.1`, `burrowd.8`) and shell completions (bash, zsh, fish) generated
//! from the clap definitions of both programs (`burrow --generate KIND`).

use clap::CommandFactory;
use clap_complete::Shell;

use crate::args::{ClientArgs, ServerArgs};

/// What `--generate` accepts, as shown in its error message.
pub const KINDS: &str =
    "man, bash, zsh, fish, burrowd-man, burrowd-bash, burrowd-zsh, burrowd-fish";

/// The text of `kind` (see [`KINDS`]), or `None` for an unknown kind.
pub fn generate(kind: &str) -> Option<Vec<u8>> {
    let (mut cmd, section, what) = match kind.strip_prefix("burrowd-") {
        Some(what) => (ServerArgs::command(), "8", what),
        None => (ClientArgs::command(), "1", kind),
    };
    let mut out = Vec::new();
    match what {
        "man" => clap_mangen::Man::new(cmd.version(env!("CARGO_PKG_VERSION")))
            .section(section)
            .render(&mut out)
            .ok()?,
        shell => {
            let shell = match shell {
                "bash" => Shell::Bash,
                "zsh" => Shell::Zsh,
                "fish" => Shell::Fish,
                _ => return None,
            };
            let name = cmd.get_name().to_owned();
            clap_complete::generate(shell, &mut cmd, name, &mut out);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(kind: &str) -> String {
        String::from_utf8(generate(kind).unwrap()).unwrap()
    }

    #[test]
    fn man_pages_name_the_program_its_section_and_key_flags() {
        let man = text("man");
        assert!(man.contains(".TH burrow 1"), "{}", &man[..200]);
        for flag in ["\\-L", "\\-R", "\\-D", "\\-W", "\\-J", "\\-G", "\\-o"] {
            assert!(man.contains(flag), "burrow.1 lacks {flag}");
        }
        assert!(
            !man.contains("generate"),
            "the hidden flag is not documented"
        );
        let man8 = text("burrowd-man");
        assert!(man8.contains(".TH burrowd 8"), "{}", &man8[..200]);
        assert!(man8.contains("\\-\\-generate\\-host\\-key"));
    }

    #[test]
    fn completions_for_each_shell_know_the_flags() {
        assert!(text("bash").contains("complete -F _burrow"));
        assert!(text("zsh").starts_with("#compdef burrow"));
        let fish = text("fish");
        assert!(fish.contains("complete -c burrow -s L"), "{fish}");
        assert!(text("burrowd-bash").contains("--generate-host-key"));
        assert!(text("burrowd-fish").contains("complete -c burrowd"));
        assert_eq!(generate("powershell"), None);
        assert_eq!(generate("burrowd-nonsense"), None);
    }
}
