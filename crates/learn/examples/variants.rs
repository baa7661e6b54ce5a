//! Compares fitting settings on a labelled corpus: `cargo run --release -p kaibo-learn
//! --example variants -- CORPUS_ROOT [name=key:value,key:value ...]`. Keys: fp_cost, prior_sd,
//! band_max, text (0/1), min_sources, min_support, epochs, l2, lr, dropout, copies,
//! out_of_source (0/1), indicators_first (0/1). Used to choose the defaults (docs/knowledge.md);
//! each variant prints the in-sample and leave-one-source-out table. `SAVE_MODELS=DIR` also
//! writes each variant's text model there, for `kaibo analyze --model`.

use kaibo_learn::corpus::read_labelled;
use kaibo_learn::evaluate::{learn, render};
use kaibo_learn::fit::FitSettings;
use kaibo_learn::text::TextSettings;

fn main() {
    let mut args = std::env::args().skip(1);
    let root = std::path::PathBuf::from(args.next().expect("corpus root"));
    let labels = std::fs::read_to_string(root.join("labels.tsv")).expect("labels.tsv");
    let labels = kaibo_scan::eval::read_labels(&labels).expect("labels");
    let (samples, _) = read_labelled(&root, &labels, &kaibo_core::Options::default(), 0);
    for variant in args {
        let (name, spec) = variant.split_once('=').unwrap_or((&variant, ""));
        let mut fit = FitSettings::default();
        let mut text = TextSettings::default();
        for kv in spec.split(',').filter(|s| !s.is_empty()) {
            let (k, v) = kv.split_once(':').expect("key:value");
            let f: f64 = v.parse().expect("number");
            match k {
                "fp_cost" => fit.fp_cost = f,
                "prior_sd" => fit.prior_sd = f,
                "band_max" => fit.band_max = f,
                "text" => fit.text_model = f != 0.0,
                "out_of_source" => fit.text_out_of_source = f != 0.0,
                "dropout" => fit.dropout = f,
                "copies" => fit.dropout_copies = f as usize,
                "min_support" => fit.min_support = f as usize,
                "min_sources" => text.min_sources = f as usize,
                "min_docs" => text.min_docs = f as usize,
                "epochs" => text.sgd.epochs = f as usize,
                "l2" => text.sgd.l2 = f as f32,
                "lr" => text.sgd.learning_rate = f as f32,
                "indicators_first" => text.sgd.indicators_first = f != 0.0,
                _ => panic!("unknown key {k}"),
            }
        }
        let learned = learn(&samples, 5, &text, &fit, true, "variants");
        // SAVE_MODELS=DIR keeps each variant's text model, for `kaibo analyze --model`.
        if let Some(dir) = std::env::var_os("SAVE_MODELS") {
            let path = std::path::Path::new(&dir).join(format!("{name}.kbtm"));
            std::fs::write(&path, learned.model.to_bytes()).expect("write model");
        }
        println!("== {name}\n{}", render(&learned.report));
    }
}
