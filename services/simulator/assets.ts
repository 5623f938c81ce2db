/**
 * Base assets of real Binance spot pairs (from the 2021-10-12 exchangeInfo, most
 * traded first). Synthetic universes combine them with real quote assets so every
 * generated name is one a collector could meet on the exchange.
 */
export const BASE_ASSETS: readonly string[] = [
  "BTC", "ETH", "BNB", "SOL", "XRP", "ADA", "DOGE", "DOT", "AVAX", "LINK", "LTC", "TRX",
  "MATIC", "ATOM", "UNI", "ETC", "XLM", "BCH", "FIL", "NEAR", "ALGO", "VET", "ICP", "FTM",
  "SAND", "MANA", "AXS", "AAVE", "EGLD", "THETA", "EOS", "XTZ", "CAKE", "SHIB", "GRT", "RUNE",
  "KSM", "MKR", "COMP", "SNX", "NEO", "QTUM", "SNT", "BNT", "BCC", "GAS", "HSR", "OAX",
  "DNT", "MCO", "ICN", "WTC", "LRC", "YOYO", "OMG", "ZRX", "STRAT", "SNGLS", "BQX", "KNC",
  "FUN", "SNM", "IOTA", "XVG", "SALT", "MDA", "MTL", "SUB", "MTH", "ENG", "ZEC", "AST",
  "DASH", "BTG", "EVX", "REQ", "VIB", "POWR", "ARK", "MOD", "ENJ", "STORJ", "VEN", "KMD",
  "NULS", "RCN", "RDN", "XMR", "DLT", "AMB", "BAT", "BCPT", "ARN", "GVT", "CDT", "GXS",
  "POE", "QSP", "BTS", "XZC", "LSK", "TNT", "FUEL", "BCD", "DGD", "ADX", "PPT", "CMT",
  "CND", "LEND", "WABI", "TNB", "WAVES", "GTO", "ICX", "OST", "ELF", "AION", "NEBL", "BRD",
  "EDO", "WINGS", "NAV", "LUN", "TRIG", "APPC", "VIBE", "RLC", "INS", "PIVX", "IOST", "CHAT",
  "STEEM", "NANO", "VIA", "BLZ", "AE", "RPX", "NCASH", "POA", "ZIL", "ONT", "STORM", "XEM",
  "WAN", "WPR", "QLC", "SYS", "GRS", "CLOAK", "GNT", "LOOM", "BCN", "REP", "TUSD", "ZEN",
  "SKY", "CVC", "IOTX", "QKC", "AGI", "NXS", "DATA", "SC", "NPXS", "KEY", "NAS", "MFT",
  "DENT", "ARDR", "HOT", "DOCK", "POLY", "PHX", "HC", "GO", "PAX", "RVN", "DCR", "USDC",
  "MITH", "BCHABC", "BCHSV", "REN", "BTT", "USDS", "ONG", "FET", "CELR", "PHB", "TFUEL", "ONE",
  "BTCB", "USDSB", "ERD", "DUSK", "BGBP", "ANKR", "WIN", "COS", "TUSDB", "COCOS", "TOMO", "PERL",
  "CHZ", "BAND", "BUSD", "BEAM", "HBAR", "NKN", "STX", "KAVA", "ARPA", "CTXC", "TROY", "VITE",
  "FTT", "USDT", "EUR", "OGN", "DREP", "BULL", "BEAR", "ETHBULL", "ETHBEAR", "TCT", "WRX", "LTO",
  "EOSBULL", "EOSBEAR", "XRPBULL", "XRPBEAR", "MBL", "COTI", "BNBBULL", "BNBBEAR", "STPT", "CTSI", "HIVE", "CHR",
  "BTCUP", "BTCDOWN", "MDT", "STMX", "IQ", "PNT", "GBP", "DGB", "BKRW", "SXP", "ETHUP", "ETHDOWN",
  "ADAUP", "ADADOWN", "LINKUP", "LINKDOWN", "VTHO", "IRIS", "DAI", "AUD", "FIO", "BNBUP", "BNBDOWN", "XTZUP",
  "XTZDOWN", "AVA", "BAL", "YFI", "JST", "SRM", "ANT", "CRV", "OCEAN", "NMR", "LUNA", "IDEX",
  "RSR", "PAXG", "WNXM", "TRB", "BZRX", "WBTC", "SUSHI", "YFII", "DIA", "UMA", "EOSUP", "EOSDOWN",
  "TRXUP", "TRXDOWN", "XRPUP", "XRPDOWN", "DOTUP", "DOTDOWN", "BEL", "WING", "SWRV", "LTCUP", "LTCDOWN", "CREAM",
  "NBS", "OXT", "SUN", "HNT", "BAKE", "BURGER", "FLM", "SCRT", "SPARTA", "UNIUP", "UNIDOWN", "ORN",
  "UTK", "XVS", "ALPHA", "VIDT", "SXPUP", "SXPDOWN", "FILUP", "FILDOWN", "YFIUP", "YFIDOWN", "INJ", "AERGO",
  "EASY", "AUDIO", "CTK", "BCHUP", "BCHDOWN", "BOT", "AKRO", "KP3R", "HARD", "RENBTC", "SLP", "CVP",
  "STRAX", "FOR", "UNFI", "FRONT", "BCHA", "ROSE", "HEGIC", "AAVEUP", "AAVEDOWN", "PROM", "SKL", "SUSD",
  "COVER", "GLM", "GHST", "SUSHIUP", "SUSHIDOWN", "XLMUP", "XLMDOWN", "DF", "JUV", "PSG", "1INCH", "REEF",
  "OG", "ATM", "ASR", "CELO", "RIF", "BTCST", "TRU", "DEXE", "CKB", "TWT", "FIRO", "BETH",
  "PROS", "LIT", "SFP", "FXS", "DODO", "UFT", "ACM", "AUCTION", "PHA", "TVK", "BADGER", "FIS",
  "OM", "POND", "DEGO", "ALICE", "BIFI", "LINA", "PERP", "RAMP", "SUPER", "CFX", "EPS", "AUTO",
  "TKO", "PUNDIX", "TLM", "1INCHUP", "1INCHDOWN", "MIR", "BAR", "FORTH", "EZ", "AR", "POLS", "MDX",
  "MASK", "LPT", "AGIX", "NU", "ATA", "GTC", "TORN", "KEEP", "ERN", "KLAY", "BOND", "MLN",
  "QUICK", "C98", "CLV", "QNT", "FLOW", "XEC", "MINA", "RAY", "FARM", "ALPACA", "MBOX", "VGX",
  "WAXP", "TRIBE", "GNO", "DYDX", "USDP", "GALA", "ILV", "YGG", "FIDA", "AGLD", "RAD", "BETA",
  "RARE",
];

/** Quote assets in the order Binance lists most volume under them. */
export const QUOTE_ASSETS: readonly string[] = ["USDT", "FDUSD", "BTC", "ETH", "BNB", "USDC", "TRY", "EUR", "TUSD", "BRL", "DAI", "JPY"];
