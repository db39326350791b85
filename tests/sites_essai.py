"""The params of the test builds shared by several test files of the CAPSO tier."""

# One note of each kind (seven since the zones), in both profiles, with their printable versions: the pages that the snapshot,
# accessibility, parity, browser and audit tests read, built once with pandoc and once with Quarto.
# CAPSO: Arques 62040, QPV Saint-Exupéry - Léon Blum QP062036 (and Saint-Omer's QP062037 in the
# evaluation), CA du Pays de Saint-Omer 200069037.
PARAMS_CINQ_NOTES = """\
observatoire:
  id: cinq
  titre: Observatoire d'essai
  profils: [public, partenaires]
notes:
  - modele: note_communale
    territoires: {communes: ["62040"]}
  - modele: note_quartier
    territoires: {qpv: ["QP062036"]}
  - modele: note_epci
    territoires: {epci: "200069037"}
  - modele: abs_ccas
    territoires: {communes: ["62040"]}
    themes: [sante]
    plan_actions: params/capso/plan-actions.yml
  - modele: plan_actions
    territoires: {communes: ["62040"]}
    plan_actions: params/capso/plan-actions.yml
  - modele: evaluation_cdv
    territoires: {epci: "200069037"}
    parametres:
      qpv: ["QP062036", "QP062037", "QP062058"]
    evaluation: params/capso/evaluation
  - modele: note_zone
    zones: data/zones/capso.yml
"""
NOTES_CINQ = {"note_communale": "communale-62040", "note_quartier": "quartier-QP062036",
              "note_epci": "epci-200069037", "abs_ccas": "abs-62040-sante", "evaluation_cdv": "evaluation-200069037",
              "plan_actions": "plan-actions-200069037", "note_zone": "zone-6276503"}
DOSSIERS_PROFILS = {"public": "site", "partenaires": "site-partenaires"}
