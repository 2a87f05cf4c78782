//! The `--gpu auto|off|on` decision: `off` never touches CUDA, `auto` takes a usable GPU or says
//! why the CPU joins instead, `on` takes one or refuses to start with the reason.

use super::device::Unusable;
use std::fmt;

/// What `--gpu` asks for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum GpuMode {
    /// A usable GPU if there is one, else the CPU.
    #[default]
    Auto,
    /// The CPU, without looking for a GPU.
    Off,
    /// A usable GPU, or no run at all.
    On,
}

impl GpuMode {
    /// The mode as `--gpu` writes it.
    pub fn name(self) -> &'static str {
        match self {
            GpuMode::Auto => "auto",
            GpuMode::Off => "off",
            GpuMode::On => "on",
        }
    }
}

impl fmt::Display for GpuMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What the decision gives: a device, or the CPU and why (`None` when `--gpu off` asked for it).
#[derive(Debug)]
pub enum GpuChoice<D> {
    /// Join on this device.
    Gpu(D),
    /// Join on the CPU; the reason a GPU was not taken, when one was looked for.
    Cpu(Option<Unusable>),
}

/// `--gpu on` found no usable GPU.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("--gpu on: no usable GPU: {0} (write --gpu auto to fall back to the CPU, or --gpu off)")]
pub struct GpuRequired(pub Unusable);

/// Decides with `mode`, calling `open` (which finds and prepares a device) only when the mode
/// allows a GPU.
pub fn choose<D>(mode: GpuMode, open: impl FnOnce() -> Result<D, Unusable>) -> Result<GpuChoice<D>, GpuRequired> {
    match mode {
        GpuMode::Off => Ok(GpuChoice::Cpu(None)),
        GpuMode::Auto => Ok(open().map_or_else(|why| GpuChoice::Cpu(Some(why)), GpuChoice::Gpu)),
        GpuMode::On => open().map(GpuChoice::Gpu).map_err(GpuRequired),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_never_opens_a_device() {
        let choice = choose::<()>(GpuMode::Off, || panic!("--gpu off must not look for a GPU")).unwrap();
        assert!(matches!(choice, GpuChoice::Cpu(None)));
    }

    #[test]
    fn auto_falls_back_to_the_cpu_with_the_reason_and_on_refuses_with_it() {
        let choice = choose::<()>(GpuMode::Auto, || Err(Unusable::NoDevice)).unwrap();
        assert!(matches!(choice, GpuChoice::Cpu(Some(Unusable::NoDevice))));
        let refusal = choose::<()>(GpuMode::On, || Err(Unusable::NoDriver)).unwrap_err();
        let message = refusal.to_string();
        assert!(message.contains("libcuda") && message.contains("--gpu auto"), "{message}");
        assert!(matches!(choose(GpuMode::On, || Ok(7)).unwrap(), GpuChoice::Gpu(7)));
        assert!(matches!(choose(GpuMode::Auto, || Ok(7)).unwrap(), GpuChoice::Gpu(7)));
    }

    /// The decision on this machine, with the real discovery: whatever it finds, no panic, and
    /// `auto` agrees with `on`.
    #[test]
    fn the_real_discovery_gives_a_device_or_a_reason() {
        let open = || super::super::GpuDevice::open(0, super::super::GpuPath::Tensor);
        match (choose(GpuMode::Auto, open).unwrap(), choose(GpuMode::On, open)) {
            (GpuChoice::Gpu(device), Ok(GpuChoice::Gpu(_))) => eprintln!("found {}", device.description()),
            (GpuChoice::Cpu(Some(why)), Err(GpuRequired(again))) => {
                assert_eq!(why, again);
                eprintln!("no usable GPU here: {why}");
            }
            (auto, on) => panic!("auto and on disagree: {auto:?} / {on:?}"),
        }
    }
}
