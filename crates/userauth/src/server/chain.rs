//! AuthenticationMethods: which methods may be tried next and when the client is done
//! (OpenSSH auth2.c `auth2_update_methods_lists`, `authmethods_get`).

use crate::method::Method;

/// The remaining method chains. Empty chains at construction mean "any one enabled method
/// suffices"; otherwise the client is done when it completes every method of one chain, in
/// order.
#[derive(Debug, Clone)]
pub(crate) struct Chains {
    enabled: Vec<Method>,
    /// `None`: single-method mode. `Some`: the rest of each chain.
    rest: Option<Vec<Vec<Method>>>,
}

/// What a successful method means for the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// A chain is complete: send SUCCESS.
    Done,
    /// At least one chain advanced but none is complete: FAILURE with partial success.
    Partial,
}

impl Chains {
    /// Chains over `enabled` methods; chains naming a disabled method can never complete and
    /// are dropped.
    pub(crate) fn new(enabled: Vec<Method>, chains: &[Vec<Method>]) -> Self {
        let rest = if chains.is_empty() {
            None
        } else {
            Some(
                chains
                    .iter()
                    .filter(|c| !c.is_empty() && c.iter().all(|m| enabled.contains(m)))
                    .cloned()
                    .collect(),
            )
        };
        Self { enabled, rest }
    }

    /// True when `method` may be tried now.
    pub(crate) fn allows(&self, method: Method) -> bool {
        self.enabled.contains(&method)
            && match &self.rest {
                None => true,
                Some(chains) => chains.iter().any(|c| c.first() == Some(&method)),
            }
    }

    /// The "authentications that can continue", in configuration order.
    pub(crate) fn can_continue(&self) -> Vec<Method> {
        self.enabled
            .iter()
            .copied()
            .filter(|m| self.allows(*m))
            .collect()
    }

    /// Records that `method` succeeded.
    pub(crate) fn complete(&mut self, method: Method) -> Step {
        let Some(chains) = &mut self.rest else {
            return Step::Done;
        };
        let mut done = false;
        for chain in chains.iter_mut() {
            if chain.first() == Some(&method) {
                chain.remove(0);
                done |= chain.is_empty();
            }
        }
        if done { Step::Done } else { Step::Partial }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Method::{KeyboardInteractive as Kbd, Password as Pw, Publickey as Pk};

    #[test]
    fn without_chains_any_enabled_method_finishes() {
        let mut c = Chains::new(vec![Pk, Pw], &[]);
        assert_eq!(c.can_continue(), vec![Pk, Pw]);
        assert!(!c.allows(Kbd));
        assert_eq!(c.complete(Pw), Step::Done);
    }

    #[test]
    fn two_factor_chain_needs_both_in_order() {
        let mut c = Chains::new(vec![Pk, Pw], &[vec![Pk, Pw]]);
        assert_eq!(c.can_continue(), vec![Pk]);
        assert!(!c.allows(Pw));
        assert_eq!(c.complete(Pk), Step::Partial);
        assert_eq!(c.can_continue(), vec![Pw]);
        assert!(!c.allows(Pk));
        assert_eq!(c.complete(Pw), Step::Done);
    }

    #[test]
    fn alternative_chains_offer_every_first_method() {
        let mut c = Chains::new(vec![Pk, Pw], &[vec![Pk, Pw], vec![Pw]]);
        assert_eq!(c.can_continue(), vec![Pk, Pw]);
        assert_eq!(c.complete(Pw), Step::Done);
    }

    #[test]
    fn chain_with_disabled_method_is_dropped() {
        let c = Chains::new(vec![Pk], &[vec![Pk, Kbd]]);
        assert!(c.can_continue().is_empty());
    }
}
