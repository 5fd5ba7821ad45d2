"""Class names of the benchmark datasets, in training-id order.

ADE20K (SceneParse150): ids 0..149 after the standard mapping (raw 0 "other" is
ignored, raw k becomes k-1). COCO-Stuff164K: contiguous ids 0..170, the 80 COCO "thing"
classes followed by the 91 "stuff" classes. Both lists follow the order used by
mmsegmentation (the codebase of the Region Rebalance paper).
"""

ADE20K_CLASS_NAMES = (
    "wall", "building", "sky", "floor", "tree", "ceiling", "road", "bed", "windowpane",
    "grass", "cabinet", "sidewalk", "person", "earth", "door", "table", "mountain",
    "plant", "curtain", "chair", "car", "water", "painting", "sofa", "shelf", "house",
    "sea", "mirror", "rug", "field", "armchair", "seat", "fence", "desk", "rock",
    "wardrobe", "lamp", "bathtub", "railing", "cushion", "base", "box", "column",
    "signboard", "chest of drawers", "counter", "sand", "sink", "skyscraper",
    "fireplace", "refrigerator", "grandstand", "path", "stairs", "runway", "case",
    "pool table", "pillow", "screen door", "stairway", "river", "bridge", "bookcase",
    "blind", "coffee table", "toilet", "flower", "book", "hill", "bench", "countertop",
    "stove", "palm", "kitchen island", "computer", "swivel chair", "boat", "bar",
    "arcade machine", "hovel", "bus", "towel", "light", "truck", "tower", "chandelier",
    "awning", "streetlight", "booth", "television receiver", "airplane", "dirt track",
    "apparel", "pole", "land", "bannister", "escalator", "ottoman", "bottle", "buffet",
    "poster", "stage", "van", "ship", "fountain", "conveyer belt", "canopy", "washer",
    "plaything", "swimming pool", "stool", "barrel", "basket", "waterfall", "tent",
    "bag", "minibike", "cradle", "oven", "ball", "food", "step", "tank", "trade name",
    "microwave", "pot", "animal", "bicycle", "lake", "dishwasher", "screen", "blanket",
    "sculpture", "hood", "sconce", "vase", "traffic light", "tray", "ashcan", "fan",
    "pier", "crt screen", "plate", "monitor", "bulletin board", "shower", "radiator",
    "glass", "clock", "flag",
)

COCO_STUFF_CLASS_NAMES = (
    # 80 things (COCO detection categories).
    "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck",
    "boat", "traffic light", "fire hydrant", "stop sign", "parking meter", "bench",
    "bird", "cat", "dog", "horse", "sheep", "cow", "elephant", "bear", "zebra",
    "giraffe", "backpack", "umbrella", "handbag", "tie", "suitcase", "frisbee", "skis",
    "snowboard", "sports ball", "kite", "baseball bat", "baseball glove", "skateboard",
    "surfboard", "tennis racket", "bottle", "wine glass", "cup", "fork", "knife",
    "spoon", "bowl", "banana", "apple", "sandwich", "orange", "broccoli", "carrot",
    "hot dog", "pizza", "donut", "cake", "chair", "couch", "potted plant", "bed",
    "dining table", "toilet", "tv", "laptop", "mouse", "remote", "keyboard",
    "cell phone", "microwave", "oven", "toaster", "sink", "refrigerator", "book",
    "clock", "vase", "scissors", "teddy bear", "hair drier", "toothbrush",
    # 91 stuff classes.
    "banner", "blanket", "branch", "bridge", "building-other", "bush", "cabinet",
    "cage", "cardboard", "carpet", "ceiling-other", "ceiling-tile", "cloth", "clothes",
    "clouds", "counter", "cupboard", "curtain", "desk-stuff", "dirt", "door-stuff",
    "fence", "floor-marble", "floor-other", "floor-stone", "floor-tile", "floor-wood",
    "flower", "fog", "food-other", "fruit", "furniture-other", "grass", "gravel",
    "ground-other", "hill", "house", "leaves", "light", "mat", "metal", "mirror-stuff",
    "moss", "mountain", "mud", "napkin", "net", "paper", "pavement", "pillow",
    "plant-other", "plastic", "platform", "playingfield", "railing", "railroad",
    "river", "road", "rock", "roof", "rug", "salad", "sand", "sea", "shelf",
    "sky-other", "skyscraper", "snow", "solid-other", "stairs", "stone", "straw",
    "structural-other", "table", "tent", "textile-other", "towel", "tree", "vegetable",
    "wall-brick", "wall-concrete", "wall-other", "wall-panel", "wall-stone",
    "wall-tile", "wall-wood", "water-other", "waterdrops", "window-blind",
    "window-other", "wood",
)


def read_class_names(path):
    """Reads a class-name file: one name per line, blank lines and `#` comments skipped.

    Args:
        path: str or path-like.

    Returns:
        tuple of str, in class-id order.

    Example:

    ```python
    names = keras_rr.data.read_class_names("my_dataset/classes.txt")
    ```
    """
    import os

    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"Class-name file not found: {path} (expected one name per line)")
    with open(path, "r", encoding="utf-8") as f:
        names = [line.strip() for line in f]
    names = tuple(n for n in names if n and not n.startswith("#"))
    if not names:
        raise ValueError(f"Class-name file {path} holds no names (expected one name per line)")
    return names

# ADE20K-Full (847 classes), training ids 0..846 as LTSS (`caopulan/Mask2Former-LT`,
# `ADE20K_SEM_SEG_FULL_CATEGORIES`) and Mask2Former number them: the first WordNet synonym
# of each ADE20K object name (two where the first alone repeats), most frequent first.
ADE20K_FULL_CLASS_NAMES = tuple(
    """
wall|building|sky|tree|road|floor|ceiling|bed|sidewalk|earth|cabinet|person|grass|windowpane|car|mountain|plant
table|chair|curtain|door|sofa|sea|painting|water|mirror|house|rug|shelf|armchair|fence|field|lamp|rock|seat|river
desk|bathtub|railing|signboard|cushion|path|work surface|stairs|column|sink|wardrobe|snow|refrigerator|base|bridge
blind|runway|cliff|sand|fireplace|pillow|screen door|toilet|skyscraper|grandstand|box|pool table|palm|double door
coffee table|counter|countertop|chest of drawers|kitchen island|boat|waterfall|stove|flower|bookcase|controls|book
stairway|streetlight|computer|bus|swivel chair|light|bench|case|towel|fountain|embankment|television receiver|van
hill|awning|poster|truck|airplane|pole|tower|court|ball|aircraft carrier|buffet|hovel|apparel|minibike|animal
chandelier|step|booth|bicycle|doorframe|sconce|pond|trade name|bannister|bag|traffic light|gazebo|escalator|land
board|arcade machine|eiderdown|bar|stall|playground|ship|ottoman|ashcan|bottle|cradle|pot, flowerpot|conveyer belt
train|stool|lake|tank|ice|basket, handbasket|manhole|tent|canopy|microwave|barrel|dirt track|beam|dishwasher|plate
screen, crt screen|ruins|washer|blanket|plaything|food|screen, silver screen|oven|stage|beacon|umbrella|sculpture
aqueduct|container|scaffolding|hood|curb|roller coaster|horse|catwalk|glass|vase|central reservation|carousel
radiator|closet|machine|pier, wharf|fan|inflatable bounce game|pitch|paper|arcade|hot tub|helicopter|tray|partition
vineyard|bowl|bullring|flag|pot|footbridge|shower|bag, traveling bag|bulletin board|confessional booth|trunk|forest
elevator door|laptop|instrument panel|bucket|tapestry|platform|jacket|gate|monitor|telephone booth|spotlight|ring
control panel|blackboard|air conditioner|chest|clock|sand dune|pipe, pipage|vault|table football|cannon
swimming pool|fluorescent|statue|loudspeaker|exhibitor|ladder|carport|dam|pulpit|skylight|water tower
grill, grille|display board|pane|rubbish|ice rink|fruit|patio|vending machine|telephone|net|backpack|jar|track
magazine|shutter|roof|banner|landfill|post|altarpiece|hat|arch|table game|bag, handbag|document|dome|pier|shanties
forecourt|crane|dog|piano|drawing|cabin|ad|amphitheater|monument|henhouse|cockpit|heater|windmill|pool|elevator
decoration|labyrinth|text|printer|mezzanine|mattress|straw|stalls|patio, terrace|billboard|bus stop|trouser
console table|rack|notebook|shrine|pantry|cart|steam shovel|porch|postbox|figurine|recycling bin|folding screen
telescope|deck chair|kennel|coffee maker|altar|fish|easel|artificial golf green|iceberg|candlestick|shower stall
television stand|wall socket|skeleton|grand piano|candy|grille door|pedestal|jersey|shoe|gravestone|shanty
structure|rocking chair|bird|place mat|tomb|big top|gas pump|lockers|cage|finger|bleachers|ferris wheel
hairdresser chair|mat|stands|aquarium|streetcar|napkin|dummy|booklet|sand trap|shop|table cloth|service station
coffin|drawer|cages|slot machine|balcony|volleyball court|table tennis|control table|shirt|merchandise|railway
parterre|chimney|can|tanks|fabric|alga|system|map|greenhouse|mug|barbecue|trailer|toilet tissue|organ|dishrag
island|keyboard|trench|basket, basketball hoop|steering wheel|pitcher|goal|bread|beds|wood|file cabinet|newspaper
motorboat|rope|guitar|rubble|scarf|barrels|cap|leaves|control tower|dashboard|bandstand|lectern|switch|baseboard
shower room|smoke|faucet|bulldozer|saucepan|shops|meter|crevasse|gear|candelabrum|sofa bed|tunnel|pallet|wire
kettle|bidet|baby buggy|music stand|pipe, tube|cup|parking meter|ice hockey rink|shelter|weeds|temple|patty
ski slope|panel|wallet|wheel|towel rack|roundabout|canister|rod|soap dispenser|bell|canvas|box office|teacup
trellis|workbench|valley|toaster|knife|podium|ramp|tumble dryer|fireplug|gym shoe|lab bench|equipment
rocky formation|plastic|calendar|caravan|check-in-desk|ticket counter|brush|mill|covered bridge|bowling alley
hanger|excavator|trestle|revolving door|blast furnace|scale|projector|soap|locker|tractor|stretcher|frame|grating
alembic|candle|barrier|cardboard|cave|puddle|tarp|price tag|watchtower|meters|light bulb|tracks|hair dryer|skirt
viaduct|paper towel|coat|sheet|fire extinguisher|water wheel|pottery|magazine rack|teapot|microphone|support
forklift|canyon|cash register|leaf|remote control|soap dish|windshield|cat|cue|vent|videos|shovel|eaves|antenna
shipyard|hen|traffic cone|washing machines|truck crane|cds|niche|scoreboard|briefcase|boot|sweater|hay|pack
bottle rack|glacier|pergola|building materials|television camera|first floor|rifle|tennis table|stadium
safety belt|cover|dish rack|synthesizer|pumpkin|gutter|fruit stand|ice floe|handle|wheelchair|mousepad|diploma
fairground ride|radio|hotplate|junk|wheelbarrow|stream|toll plaza|punching bag|trough|throne|chair desk
weighbridge|extractor fan|hanging clothes|dish|alarm clock|ski lift|chain|garage|mechanical shovel|wine rack
tramway|treadmill|menu|block|well|witness stand|branch|duck|casserole|frying pan|desk organizer|mast|spectacles
service elevator|dollhouse|hammock|clothes hanging|photocopier|notepad|golf cart|footpath|cross|baptismal font
boiler|skip|rotisserie|tables|water mill|helmet|cover curtain|brick|table runner|ashtray|street box|stick|hangers
cells|urinal|centerpiece|portable fridge|dvds|golf club|skirting board|water cooler|clipboard|camera|pigeonhole
chips|food processor|post box|lid|drum|blender|cave entrance|dental chair|obelisk|canoe|mobile|monitors|pool ball
cue rack|baggage carts|shore|fork|paper filer|bicycle rack|coat rack|garland|sports bag|fish tank|towel dispenser
carriage|brochure|plaque|stringer|iron|spoon|flag pole|toilet brush|book stand|water faucet|ticket office|broom
dvd|ice bucket|carapace|tureen|folders|chess|root|sewing machine|model|pen|violin|sweatshirt|recycling materials
mitten|chopping board|mask|log|mouse|grill|hole|target|trash bag|chalk|sticks|balloon|score|hair spray|roll
runner|engine|inflatable glove|games|pallets|baskets|coop|dvd player|rocking horse|buckets|bread rolls|shawl
watering can|spotlights|post-it|bowls|security camera|runner cloth|lock|alarm|side|roulette|bone|cutlery
pool balls|wheels|spice rack|plant pots|towel ring|bread box|video|funfair|breads|tripod|ironing board|skimmer
hollow|scratching post|tricycle|file box|mountain pass|tombstones|cooker|card game|golf bag|towel paper
chaise lounge|sun|toilet paper holder|rake|key|umbrella stand|dartboard|transformer|fireplace utensils
sweatshirts|cellular telephone|tallboy|stapler|sauna|test tube|palette|shopping carts|tools|push button|star
roof rack|barbed wire|spray|ear|sponge|racket|tins|eyeglasses|file|scarfs|sugar bowl|flip flop|headstones
laptop bag|leash|climbing frame|suit hanger|floor spotlight|plate rack|sewer|hard drive|sprinkler|tools box
necklace|bulbs|steel industry|club|jack|door bars|control panel, instrument panel|hairbrush|napkin holder|office
smoke detector|utensils|apron|scissors|terminal|grinder|entry phone|newspaper stand|pepper shaker|onions
central processing unit|tape|bat|coaster|calculator|potatoes|luggage rack|salt|street number|viewpoint|sword|cd
rowing machine|plug|andiron|pepper|tongs|bonfire|dog dish|belt|dumbbells|videocassette recorder|hook|envelopes
shower faucet|watch|padlock|swimming pool ladder|spanners|gravy boat|notice board|trash bags|fire alarm|ladle
stethoscope|rocket|funnel|bowling pins|valve|thermometer|cups|spice jar|night light|soaps|games table
slotted spoon|reel|scourer|sleeping robe|desk mat|dumbbell|hammer|tie|typewriter|shaker|cheese dish|sea star
racquet|butane gas cylinder|paper weight|shaving brush|sunglasses|gear shift|towel rail|adding machine
""".strip().replace("\n", "|").split("|")
)
