// English texts of the page. messages-ko.ts has the same keys (the type makes sure of it).

const plural = (n: number, one: string, many: string) => (n === 1 ? one : many);

export const en = {
  appName: 'Lineup',
  tagline: 'Concert tickets, in a fair line',
  skip: 'Skip to content',
  switchLanguage: 'View in Korean',
  navConcerts: 'Concerts',
  navMyTickets: 'My tickets',
  signOut: 'Sign out',
  signedInAs: (who: string) => `Signed in as ${who}`,
  points: 'Points',
  dismiss: 'Dismiss',
  loading: 'Loading…',

  signInTitle: 'Sign in',
  signUpTitle: 'Create an account',
  name: 'Name',
  phone: 'Phone number',
  phoneHint: 'e.g. 010-1234-5678',
  password: 'Password',
  passwordHint: 'At least 8 characters',
  signIn: 'Sign in',
  createAccount: 'Create account',
  welcome: (name: string) => `Welcome, ${name}!`,
  signInToJoin: 'Sign in to join the line',

  concertsTitle: 'Concerts',
  noConcerts: 'No concerts on sale right now.',
  saleOpens: (when: string) => `Sale opens ${when}`,
  onSale: 'On sale now',
  performances: (n: number) => `${n} ${plural(n, 'performance', 'performances')}`,
  joinQueue: 'Join the line',
  joinQueueFor: (title: string) => `Join the line for ${title}`,

  joiningTitle: 'Getting you into the line',
  challengeText:
    'To keep ticket bots out, this concert asks every browser to solve a short puzzle before it joins the line. Your browser is solving it now: keep this page open.',
  challengeLabel: 'Puzzle progress',
  challengeProgress: (tried: number, expected: number) =>
    tried < expected
      ? `Checked ${tried.toLocaleString('en')} of about ${expected.toLocaleString('en')} tries (${Math.floor((tried / expected) * 100)} %)`
      : `Checked ${tried.toLocaleString('en')} tries; it usually takes about ${expected.toLocaleString('en')}. Almost there.`,
  challengeCancel: 'Cancel',
  challengeCancelled: 'You did not join the line.',
  announceChallenge: 'Your browser is solving a short puzzle before you join the line.',
  titleJoining: 'Joining the line · Lineup',

  waitingRoom: 'Waiting room',
  position: (n: number) => `You are number ${n.toLocaleString('en')} in line`,
  ahead: (n: number) =>
    n === 0
      ? 'You are next.'
      : `${n.toLocaleString('en')} ${plural(n, 'fan is', 'fans are')} ahead of you.`,
  estimatedWait: 'Estimated wait',
  eta: (s: number | null) =>
    s === null
      ? 'calculating…'
      : s < 60
        ? 'less than a minute'
        : s < 3600
          ? `about ${Math.round(s / 60)} min`
          : s < 86_400
            ? `about ${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`
            : 'more than a day',
  progress: 'Your progress in line',
  keepOpen:
    'Keep this page open. When it is your turn, seat selection opens here automatically; you will not lose your place if you reload.',
  prequeueTitle: 'The sale has not opened yet',
  prequeueText: (when: string, n: number) =>
    `Tickets go on sale ${when}. ${n.toLocaleString('en')} ${plural(n, 'fan is', 'fans are')} in the pre-queue, you included. When the sale opens, everyone in the pre-queue gets a random place ahead of later arrivals, so there is no need to refresh.`,
  opensIn: (clock: string) => `Opens in ${clock}`,
  fairnessLink: 'How the pre-queue was shuffled (check it yourself)',
  leaveQueue: 'Leave the line',
  soldOutTitle: 'All seats are taken right now',
  soldOutText: (held: number) =>
    held > 0
      ? `Every seat is sold or held by fans who are paying. ${held.toLocaleString('en')} held ${plural(held, 'seat', 'seats')} may come back if ${plural(held, 'its holder does', 'their holders do')} not pay; if ${plural(held, 'it does', 'they do')}, fans in line are let in, one per returned seat.`
      : 'Every seat is sold. Seats come back only if someone cancels or gets a refund; then fans in line are let in, one per returned seat.',
  soldOutKeepWaiting: 'Keep waiting',
  soldOutLeave: 'Leave the line',
  soldOutStaying: 'You are still in line. If seats come back, you move on from here.',
  leftQueue: 'You left the line.',
  polling: 'Live updates are slow on this network; checking your place every few seconds.',
  announcePosition: (n: number, eta: string) => `You are number ${n} in line. Wait: ${eta}.`,
  titleWaiting: (n: number) => `#${n} in line · Lineup`,
  titlePrequeue: 'Waiting for the sale · Lineup',
  yourTurn: "It's your turn!",
  yourTurnText: (time: string) => `Choose your seats and hold them before ${time}.`,
  announceAdmitted: "It's your turn! Seat selection is open.",
  titleYourTurn: '🎟 Your turn! · Lineup',

  timeLeft: 'Time left to book',
  chooseSchedule: 'Choose a performance',
  seatsLeft: (n: number, total: number) =>
    `${n.toLocaleString('en')} of ${total.toLocaleString('en')} seats left`,
  soldOut: 'Sold out',
  chooseSeats: 'Choose your seats',
  stage: 'Stage',
  gradeHeader: (grade: string, price: string, left: number) => `${grade} · ${price} · ${left} left`,
  seatAvailable: 'available',
  seatHeld: 'taken',
  seatSold: 'sold',
  seatSelected: 'selected',
  legend: 'Legend',
  seatKeys: 'Use the arrow keys to move between seats and Enter or Space to choose.',
  selected: 'Selected',
  noneSelected: 'No seats chosen yet.',
  total: 'Total',
  maxSeats: (n: number) => `You can choose up to ${n} seats at a time.`,
  bestAvailable: 'Best available',
  bestCount: 'How many seats',
  holdBest: 'Hold the best seats',
  holdSeats: (n: number, total: string) => `Hold ${n} ${plural(n, 'seat', 'seats')} · ${total}`,
  seatsTakenLive: (labels: string[]) =>
    `${labels.join(', ')} ${labels.length === 1 ? 'was' : 'were'} just taken by another fan.`,
  endedExpired: 'Your booking time is over. Join the line again to continue.',
  endedRemoved: 'Your place was released. Join the line again to continue.',
  endedClosed: 'The sale for this concert has ended.',

  checkoutTitle: 'Pay for your seats',
  heldFor: (clock: string) => `Your seats are held for ${clock}.`,
  holdExpiredNote: 'This hold has expired and the seats were released.',
  concert: 'Concert',
  performance: 'Performance',
  seats: 'Seats',
  balance: 'Your points',
  needMore: (amount: string) => `You need ${amount} more points to pay.`,
  chargeTitle: 'Charge points',
  chargeAmount: 'Amount to charge (₩)',
  chargeHint: 'From ₩1,000 to ₩1,000,000 at a time; a balance can hold up to ₩10,000,000.',
  charge: 'Charge',
  charged: (amount: string, balance: string) => `Charged ${amount}. Your points: ${balance}.`,
  withdrawTitle: 'Withdraw points',
  withdrawAmount: 'Amount to withdraw (₩)',
  withdrawHint: 'From ₩1,000 up to your balance; the points are paid back to you.',
  withdraw: 'Withdraw',
  withdrawAll: (amount: string) => `All ${amount}`,
  withdrawn: (amount: string, balance: string) => `Withdrew ${amount}. Your points: ${balance}.`,
  historyTitle: 'Points history',
  noHistory: 'No points activity yet.',
  ledgerType: {
    charge: 'Charged',
    payment: 'Paid for tickets',
    refund: 'Refunded',
    withdrawal: 'Withdrawn',
  },
  balanceAfter: (amount: string) => `Balance ${amount}`,
  showMore: 'Show more',
  pay: (amount: string) => `Pay ${amount} with points`,
  releaseSeats: 'Release these seats',
  released: 'The seats were released.',
  backToSeats: 'Back to seats',

  confirmedTitle: 'Booking confirmed',
  confirmedText: 'Your tickets are booked. Show this booking number at the venue.',
  bookingNo: 'Booking number',
  paid: 'Paid',
  paidAt: 'Paid at',
  balanceNow: 'Points left',
  backToConcerts: 'Back to concerts',

  myTicketsTitle: 'My tickets',
  noReservations: 'You have no bookings yet.',
  status: {
    held: 'Held, not paid',
    paid: 'Paid',
    canceled: 'Canceled',
    expired: 'Expired',
    refunded: 'Refunded',
  },
  refund: 'Refund',
  refundAsk: (amount: string) => `Refund ${amount} to your points? The seats will be released.`,
  confirmRefund: 'Yes, refund',
  keepTicket: 'Keep my tickets',
  refunded: (amount: string) => `Refunded ${amount} to your points.`,
  refundUntil: (when: string) => `Refundable until ${when}`,
  refundClosed: 'Refunds close 3 days before the show.',
  continuePayment: 'Pay now',
  heldUntil: (when: string) => `Held until ${when}`,
};

export type Messages = typeof en;
